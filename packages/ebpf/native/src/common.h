// Shared helpers of the addon: argument readers, byte views over typed arrays, per-env data.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace keelson {

// Per-environment data: constructors that C++ code instantiates (worker threads get their own).
struct AddonData {
  Napi::FunctionReference linkConstructor;
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

struct Bytes {
  uint8_t* data = nullptr;
  size_t size = 0;
};

// A Uint8Array/Buffer argument as a byte view (no copy). Null/undefined gives an empty view when allowed.
Bytes BytesArg(const Napi::CallbackInfo& info, size_t index, const char* what, bool optional = false);

int32_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* what);
uint32_t UintArg(const Napi::CallbackInfo& info, size_t index, const char* what);
uint64_t U64Arg(const Napi::CallbackInfo& info, size_t index, const char* what);
std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* what, bool optional = false);

// Optional property readers for option objects.
std::string StringProp(const Napi::Object& o, const char* key, const std::string& fallback = "");
int64_t IntProp(const Napi::Object& o, const char* key, int64_t fallback);
uint64_t U64Prop(const Napi::Object& o, const char* key, uint64_t fallback);
bool BoolProp(const Napi::Object& o, const char* key, bool fallback);

[[noreturn]] void ThrowType(Napi::Env env, const std::string& message);

}  // namespace keelson
