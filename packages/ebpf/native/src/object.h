// One BPF ELF object (libbpf bpf_object): open, configure before load, load (on the libuv
// threadpool: verification of a large program is not instant), find programs and maps, attach.
#pragma once

#include <bpf/libbpf.h>
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

namespace keelson {

class BpfObjectHandle : public Napi::ObjectWrap<BpfObjectHandle> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit BpfObjectHandle(const Napi::CallbackInfo& info);
  ~BpfObjectHandle() override;

  struct bpf_object* obj() const { return obj_; }
  struct bpf_program* RequireProgram(Napi::Env env, const std::string& name) const;
  struct bpf_map* RequireMap(Napi::Env env, const std::string& name) const;

  // Used by the load worker.
  std::vector<std::unique_ptr<char[]>> logBuffers;
  bool loading = false;
  bool loaded = false;

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value InitialValue(const Napi::CallbackInfo& info);
  Napi::Value SetInitialValue(const Napi::CallbackInfo& info);
  Napi::Value SetMaxEntries(const Napi::CallbackInfo& info);
  Napi::Value SetAutoload(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value ProgramFd(const Napi::CallbackInfo& info);
  Napi::Value MapFd(const Napi::CallbackInfo& info);
  Napi::Value AttachAuto(const Napi::CallbackInfo& info);
  Napi::Value AttachTracepoint(const Napi::CallbackInfo& info);
  Napi::Value AttachRawTracepoint(const Napi::CallbackInfo& info);
  Napi::Value AttachUprobe(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void RequireUsable(Napi::Env env, const char* what) const;
  void RequireNotLoaded(Napi::Env env, const char* what) const;
  void RequireLoaded(Napi::Env env, const char* what) const;

  struct bpf_object* obj_ = nullptr;
  std::string path_;
};

}  // namespace keelson
