// Map element operations on map fds (BPF_MAP_* commands through libbpf's thin wrappers). The
// TypeScript BpfMap encodes keys and values into Uint8Arrays with its codecs; these only move bytes.
#pragma once

#include <napi.h>

namespace keelson {

void InitMapOps(Napi::Env env, Napi::Object exports);

}  // namespace keelson
