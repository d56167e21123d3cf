// Facts about this machine and the filesystems BPF needs.
#pragma once

#include <napi.h>

namespace keelson {

void InitSystem(Napi::Env env, Napi::Object exports);

}  // namespace keelson
