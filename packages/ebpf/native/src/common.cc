#include "common.h"

namespace keelson {

void ThrowType(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }

Bytes BytesArg(const Napi::CallbackInfo& info, size_t index, const char* what, bool optional) {
  Napi::Value v = info[index];
  if (optional && (v.IsNull() || v.IsUndefined())) return {};
  if (!v.IsTypedArray()) ThrowType(info.Env(), std::string(what) + " must be a Uint8Array");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) ThrowType(info.Env(), std::string(what) + " must be a Uint8Array");
  Napi::Uint8Array u8 = v.As<Napi::Uint8Array>();
  return {u8.Data(), u8.ByteLength()};
}

int32_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsNumber()) ThrowType(info.Env(), std::string(what) + " must be a number");
  return info[index].As<Napi::Number>().Int32Value();
}

uint32_t UintArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsNumber()) ThrowType(info.Env(), std::string(what) + " must be a number");
  return info[index].As<Napi::Number>().Uint32Value();
}

uint64_t U64Arg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  Napi::Value v = info[index];
  if (v.IsBigInt()) {
    bool lossless = true;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  if (!v.IsNumber()) ThrowType(info.Env(), std::string(what) + " must be a number or bigint");
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* what, bool optional) {
  Napi::Value v = info[index];
  if (optional && (v.IsNull() || v.IsUndefined())) return "";
  if (!v.IsString()) ThrowType(info.Env(), std::string(what) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::string StringProp(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

int64_t IntProp(const Napi::Object& o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : fallback;
}

uint64_t U64Prop(const Napi::Object& o, const char* key, uint64_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsBigInt()) {
    bool lossless = true;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return v.IsNumber() ? static_cast<uint64_t>(v.As<Napi::Number>().Int64Value()) : fallback;
}

bool BoolProp(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

}  // namespace keelson
