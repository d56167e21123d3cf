// Map element operations on map fds (BPF_MAP_* commands through libbpf's thin wrappers). The
// TypeScript BpfMap encodes keys and values into Uint8Arrays with its codecs; these only move bytes.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace keelson {

// mapApplyOps's op table: kMapOpWords u32s per op, at these indexes.
constexpr size_t kMapOpWords = 7;
constexpr size_t kOpMap = 0;          // index into the fds array
constexpr size_t kOpKind = 1;         // kOpUpdate or kOpDelete
constexpr size_t kOpFlags = 2;        // update flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK
constexpr size_t kOpKeyOffset = 3;    // key bytes: offset and size in the data buffer (size 0: no key)
constexpr size_t kOpKeySize = 4;
constexpr size_t kOpValueOffset = 5;  // value bytes (updates)
constexpr size_t kOpValueSize = 6;
constexpr uint32_t kOpUpdate = 0;
constexpr uint32_t kOpDelete = 1;

void InitMapOps(Napi::Env env, Napi::Object exports);

}  // namespace keelson
