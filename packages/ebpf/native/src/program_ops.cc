#include "program_ops.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common.h"
#include "errors.h"

namespace keelson {

namespace {

struct TestRunInput {
  int fd = -1;
  std::vector<uint8_t> data;
  std::vector<uint8_t> ctx;
  bool hasData = false;
  bool hasCtx = false;
  uint32_t dataOutSize = 0;
  uint32_t ctxOutSize = 0;
  int repeat = 0;
  uint32_t flags = 0;
  uint32_t cpu = 0;
};

struct TestRunOutput {
  int err = 0;
  uint32_t retval = 0;
  uint32_t duration = 0;
  std::vector<uint8_t> dataOut;
  std::vector<uint8_t> ctxOut;
};

TestRunInput ReadTestRunInput(const Napi::CallbackInfo& info) {
  TestRunInput in;
  in.fd = IntArg(info, 0, "program fd");
  Napi::Object o = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(info.Env());
  Napi::Value data = o.Get("data");
  if (data.IsTypedArray()) {
    auto u8 = data.As<Napi::Uint8Array>();
    in.data.assign(u8.Data(), u8.Data() + u8.ByteLength());
    in.hasData = true;
  }
  Napi::Value ctx = o.Get("ctx");
  if (ctx.IsTypedArray()) {
    auto u8 = ctx.As<Napi::Uint8Array>();
    in.ctx.assign(u8.Data(), u8.Data() + u8.ByteLength());
    in.hasCtx = true;
  }
  in.dataOutSize = static_cast<uint32_t>(IntProp(o, "dataOutSize", 0));
  in.ctxOutSize = static_cast<uint32_t>(IntProp(o, "ctxOutSize", 0));
  in.repeat = static_cast<int>(IntProp(o, "repeat", 0));
  in.flags = static_cast<uint32_t>(IntProp(o, "flags", 0));
  in.cpu = static_cast<uint32_t>(IntProp(o, "cpu", 0));
  return in;
}

TestRunOutput DoTestRun(const TestRunInput& in) {
  TestRunOutput out;
  struct bpf_test_run_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  if (in.hasData) {
    opts.data_in = in.data.data();
    opts.data_size_in = static_cast<__u32>(in.data.size());
  }
  if (in.dataOutSize > 0) {
    out.dataOut.resize(in.dataOutSize);
    opts.data_out = out.dataOut.data();
    opts.data_size_out = in.dataOutSize;
  }
  if (in.hasCtx) {
    opts.ctx_in = in.ctx.data();
    opts.ctx_size_in = static_cast<__u32>(in.ctx.size());
  }
  if (in.ctxOutSize > 0) {
    out.ctxOut.resize(in.ctxOutSize);
    opts.ctx_out = out.ctxOut.data();
    opts.ctx_size_out = in.ctxOutSize;
  }
  opts.repeat = in.repeat;
  opts.flags = in.flags;
  opts.cpu = in.cpu;
  if (bpf_prog_test_run_opts(in.fd, &opts) != 0) {
    out.err = errno;
    return out;
  }
  out.retval = opts.retval;
  out.duration = opts.duration;
  if (in.dataOutSize > 0) out.dataOut.resize(opts.data_size_out);
  if (in.ctxOutSize > 0) out.ctxOut.resize(opts.ctx_size_out);
  return out;
}

Napi::Object TestRunResult(Napi::Env env, const TestRunInput& in, const TestRunOutput& out) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("retval", Napi::Number::New(env, out.retval));
  o.Set("duration", Napi::Number::New(env, out.duration));
  if (in.dataOutSize > 0) o.Set("dataOut", Napi::Buffer<uint8_t>::Copy(env, out.dataOut.data(), out.dataOut.size()));
  if (in.ctxOutSize > 0) o.Set("ctxOut", Napi::Buffer<uint8_t>::Copy(env, out.ctxOut.data(), out.ctxOut.size()));
  return o;
}

// progTestRun(fd, { data?, ctx?, dataOutSize?, ctxOutSize?, repeat?, flags?, cpu? })
//   -> { retval, duration, dataOut?, ctxOut? }
Napi::Value ProgTestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TestRunInput in = ReadTestRunInput(info);
  TestRunOutput out = DoTestRun(in);
  if (out.err != 0) ThrowErrno(env, out.err, "bpf_prog_test_run_opts");
  return TestRunResult(env, in, out);
}

class TestRunWorker : public Napi::AsyncWorker {
 public:
  TestRunWorker(Napi::Env env, TestRunInput in)
      : Napi::AsyncWorker(env, "keelson:bpf_prog_test_run"), in_(std::move(in)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { out_ = DoTestRun(in_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (out_.err != 0) deferred_.Reject(ErrnoError(env, out_.err, "bpf_prog_test_run_opts").Value());
    else deferred_.Resolve(TestRunResult(env, in_, out_));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  TestRunInput in_;
  TestRunOutput out_;
  Napi::Promise::Deferred deferred_;
};

// progTestRunAsync(fd, opts) -> Promise: the same on the libuv threadpool (long repeats).
Napi::Value ProgTestRunAsync(const Napi::CallbackInfo& info) {
  auto* w = new TestRunWorker(info.Env(), ReadTestRunInput(info));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

// progInfo(fd) -> { id, type, name, tag, jitedSize, xlatedSize, runCount?, runTimeNs? }
Napi::Value ProgInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct bpf_prog_info pi;
  memset(&pi, 0, sizeof pi);
  __u32 len = sizeof pi;
  if (bpf_obj_get_info_by_fd(IntArg(info, 0, "program fd"), &pi, &len) != 0) ThrowErrno(env, errno, "program info");
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", Napi::Number::New(env, pi.id));
  const char* typeName = libbpf_bpf_prog_type_str(static_cast<enum bpf_prog_type>(pi.type));
  o.Set("type", Napi::String::New(env, typeName != nullptr ? typeName : "unknown(" + std::to_string(pi.type) + ")"));
  o.Set("name", Napi::String::New(env, pi.name));
  o.Set("tag", Napi::String::New(env, Hex(pi.tag, sizeof pi.tag)));
  o.Set("jitedSize", Napi::Number::New(env, pi.jited_prog_len));
  o.Set("xlatedSize", Napi::Number::New(env, pi.xlated_prog_len));
  o.Set("runCount", Napi::Number::New(env, static_cast<double>(pi.run_cnt)));
  o.Set("runTimeNs", Napi::Number::New(env, static_cast<double>(pi.run_time_ns)));
  return o;
}

// objPin(fd, path)
Napi::Value ObjPin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = StringArg(info, 1, "path");
  if (bpf_obj_pin(IntArg(info, 0, "fd"), path.c_str()) != 0) ThrowErrno(env, errno, "bpf_obj_pin", path);
  return env.Undefined();
}

// objGet(path) -> { fd, kind: 'map' | 'prog' | 'link' | 'other' }
Napi::Value ObjGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = StringArg(info, 0, "path");
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) ThrowErrno(env, errno, "bpf_obj_get", path);
  char target[64] = {0};
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(self.c_str(), target, sizeof target - 1);
  std::string kind = "other";
  if (n > 0) {
    std::string t(target, n);
    if (t == "anon_inode:bpf-map") kind = "map";
    else if (t == "anon_inode:bpf-prog") kind = "prog";
    else if (t == "anon_inode:bpf-link") kind = "link";
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("fd", Napi::Number::New(env, fd));
  o.Set("kind", Napi::String::New(env, kind));
  return o;
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0, "fd");
  if (fd >= 0) close(fd);
  return info.Env().Undefined();
}

}  // namespace

void InitProgramOps(Napi::Env env, Napi::Object exports) {
  exports.Set("progTestRun", Napi::Function::New<ProgTestRun>(env, "progTestRun"));
  exports.Set("progTestRunAsync", Napi::Function::New<ProgTestRunAsync>(env, "progTestRunAsync"));
  exports.Set("progInfo", Napi::Function::New<ProgInfo>(env, "progInfo"));
  exports.Set("objPin", Napi::Function::New<ObjPin>(env, "objPin"));
  exports.Set("objGet", Napi::Function::New<ObjGet>(env, "objGet"));
  exports.Set("closeFd", Napi::Function::New<CloseFd>(env, "closeFd"));
}

}  // namespace keelson
