// Program-level operations on fds: BPF_PROG_TEST_RUN, info, pinning, objects from bpffs.
#pragma once

#include <napi.h>

namespace keelson {

void InitProgramOps(Napi::Env env, Napi::Object exports);

}  // namespace keelson
