// Ring buffer and perf buffer readers on the Node event loop.
//
// libbpf gives each reader an epoll fd that becomes readable when any of its buffers has data.
// A uv_poll_t watches that fd on the main loop (no thread per map, no busy polling); when it
// fires, the reader drains records into one packed batch and calls JavaScript once per batch.
// A batch is capped (maxBatchBytes) so a fast producer cannot hold the loop: what is left makes
// the (level-triggered) epoll fd readable again on the next loop iteration.
//
// Packed batch layout, records back to back, each 8-byte aligned:
//   u32 size | u32 cpu (perf buffer; 0 for ring buffers) | size bytes | zero padding to 8
#pragma once

#include <napi.h>

namespace keelson {

void InitEventReader(Napi::Env env, Napi::Object exports);

}  // namespace keelson
