// keelson_ebpf: the N-API addon under @keelson/ebpf. Thin by design: it moves bytes and fds between
// JavaScript and libbpf/the bpf() syscall; types, codecs, state and error hints live in TypeScript.
#include <napi.h>

#include "attach.h"
#include "common.h"
#include "errors.h"
#include "event_reader.h"
#include "link.h"
#include "map_ops.h"
#include "object.h"
#include "program_ops.h"
#include "system.h"

namespace keelson {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  InstallLibbpfPrint();
  BpfObjectHandle::Init(env, exports);
  LinkHandle::Init(env, exports);
  InitAttach(env, exports);
  InitMapOps(env, exports);
  InitProgramOps(env, exports);
  InitEventReader(env, exports);
  InitSystem(env, exports);
  return exports;
}

}  // namespace keelson

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return keelson::Init(env, exports); }

NODE_API_MODULE(keelson_ebpf, InitAddon)
