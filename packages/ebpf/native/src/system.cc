#include "system.h"

#include <bpf/libbpf.h>
#include <sys/mount.h>

#include <cerrno>
#include <string>

#include "common.h"
#include "errors.h"

namespace keelson {

namespace {

Napi::Value PossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) ThrowErrno(info.Env(), -n, "libbpf_num_possible_cpus");
  return Napi::Number::New(info.Env(), n);
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), libbpf_version_string());
}

// mount(fstype, path): mount a pseudo filesystem (bpf, tracefs) at path. EBUSY means it is there.
Napi::Value Mount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string type = StringArg(info, 0, "filesystem type");
  std::string path = StringArg(info, 1, "path");
  if (mount(type.c_str(), path.c_str(), type.c_str(), 0, nullptr) != 0) ThrowErrno(env, errno, "mount " + type, path);
  return env.Undefined();
}

}  // namespace

void InitSystem(Napi::Env env, Napi::Object exports) {
  exports.Set("possibleCpus", Napi::Function::New<PossibleCpus>(env, "possibleCpus"));
  exports.Set("libbpfVersion", Napi::Function::New<LibbpfVersion>(env, "libbpfVersion"));
  exports.Set("mount", Napi::Function::New<Mount>(env, "mount"));
}

}  // namespace keelson
