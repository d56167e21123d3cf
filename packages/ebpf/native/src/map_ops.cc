#include "map_ops.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common.h"
#include "errors.h"

namespace keelson {

namespace {

// mapLookup(fd, key, valueOut, flags) -> boolean (false: no such key)
Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "map fd");
  Bytes key = BytesArg(info, 1, "key", true);
  Bytes value = BytesArg(info, 2, "value");
  __u64 flags = info[3].IsUndefined() ? 0 : U64Arg(info, 3, "flags");
  int r = flags != 0 ? bpf_map_lookup_elem_flags(fd, key.data, value.data, flags) : bpf_map_lookup_elem(fd, key.data, value.data);
  if (r != 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "bpf_map_lookup_elem");
  }
  return Napi::Boolean::New(env, true);
}

// mapUpdate(fd, key, value, flags)
Napi::Value MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "map fd");
  Bytes key = BytesArg(info, 1, "key", true);
  Bytes value = BytesArg(info, 2, "value");
  __u64 flags = U64Arg(info, 3, "flags");
  if (bpf_map_update_elem(fd, key.data, value.data, flags) != 0) ThrowErrno(env, errno, "bpf_map_update_elem");
  return env.Undefined();
}

// mapDelete(fd, key) -> boolean (false: no such key)
Napi::Value MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "map fd");
  Bytes key = BytesArg(info, 1, "key", true);
  if (bpf_map_delete_elem(fd, key.data) != 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "bpf_map_delete_elem");
  }
  return Napi::Boolean::New(env, true);
}

// mapNextKey(fd, key | null, nextOut) -> boolean (false: no more keys)
Napi::Value MapNextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "map fd");
  Bytes key = BytesArg(info, 1, "key", true);
  Bytes next = BytesArg(info, 2, "next key");
  if (bpf_map_get_next_key(fd, key.data, next.data) != 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "bpf_map_get_next_key");
  }
  return Napi::Boolean::New(env, true);
}

// mapLookupAndDelete(fd, key | null, valueOut) -> boolean (queues and stacks take no key)
Napi::Value MapLookupAndDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "map fd");
  Bytes key = BytesArg(info, 1, "key", true);
  Bytes value = BytesArg(info, 2, "value");
  if (bpf_map_lookup_and_delete_elem(fd, key.data, value.data) != 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "bpf_map_lookup_and_delete_elem");
  }
  return Napi::Boolean::New(env, true);
}

// mapLookupBatch(fd, inBatch | null, outBatch, keys, values, count) -> { count, done }
Napi::Value MapLookupBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "map fd");
  Bytes in = BytesArg(info, 1, "in batch", true);
  Bytes out = BytesArg(info, 2, "out batch");
  Bytes keys = BytesArg(info, 3, "keys");
  Bytes values = BytesArg(info, 4, "values");
  __u32 count = UintArg(info, 5, "count");
  struct bpf_map_batch_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  int r = bpf_map_lookup_batch(fd, in.data, out.data, keys.data, values.data, &count, &opts);
  bool done = false;
  if (r != 0) {
    if (errno != ENOENT) ThrowErrno(env, errno, "bpf_map_lookup_batch");
    done = true;
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("count", Napi::Number::New(env, count));
  o.Set("done", Napi::Boolean::New(env, done));
  return o;
}

// mapUpdateBatch(fd, keys, values, count, elemFlags) -> number updated
Napi::Value MapUpdateBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "map fd");
  Bytes keys = BytesArg(info, 1, "keys");
  Bytes values = BytesArg(info, 2, "values");
  __u32 count = UintArg(info, 3, "count");
  struct bpf_map_batch_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  opts.elem_flags = U64Arg(info, 4, "flags");
  __u32 asked = count;
  if (bpf_map_update_batch(fd, keys.data, values.data, &count, &opts) != 0) {
    ThrowErrno(env, errno, "bpf_map_update_batch", std::to_string(count) + " of " + std::to_string(asked) + " elements written");
  }
  return Napi::Number::New(env, count);
}

// mapDeleteBatch(fd, keys, count) -> number deleted
Napi::Value MapDeleteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "map fd");
  Bytes keys = BytesArg(info, 1, "keys");
  __u32 count = UintArg(info, 2, "count");
  struct bpf_map_batch_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  __u32 asked = count;
  if (bpf_map_delete_batch(fd, keys.data, &count, &opts) != 0) {
    ThrowErrno(env, errno, "bpf_map_delete_batch", std::to_string(count) + " of " + std::to_string(asked) + " elements deleted");
  }
  return Napi::Number::New(env, count);
}

// A typed-array argument of one element type as a view (no copy).
template <typename T>
T* TypedArg(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type, const char* what, size_t* length) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) ThrowType(info.Env(), what);
  Napi::TypedArrayOf<T> a = v.As<Napi::TypedArrayOf<T>>();
  *length = a.ElementLength();
  return a.Data();
}

// mapApplyOps(fds: Int32Array, table: Uint32Array, data: Uint8Array, count) -> count
//
// Runs `count` element operations back to back, in order, with no JavaScript between them: the
// policy installer's write window is one call. Row i of `table` (kMapOpWords u32s) describes op i;
// keys and values are byte ranges of `data`, encoded by the caller beforehand. The whole table is
// checked before the first syscall, so a malformed one applies nothing. The first failing op
// stops the run: the error carries its `index` (ops before it stay applied, none after it ran).
// A delete of a key that is not there counts as done (as mapDelete returns false for it).
// The kernel reads each map's own key and value size from the pointers: the TypeScript side
// (MapOpBatch) encodes with each map's sizes; the checks here keep every range inside `data`.
Napi::Value MapApplyOps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t nfds = 0;
  size_t nwords = 0;
  const int32_t* fds = TypedArg<int32_t>(info, 0, napi_int32_array, "fds must be an Int32Array", &nfds);
  const uint32_t* table = TypedArg<uint32_t>(info, 1, napi_uint32_array, "the op table must be a Uint32Array", &nwords);
  Bytes data = BytesArg(info, 2, "op data");
  uint32_t count = UintArg(info, 3, "op count");
  if (static_cast<size_t>(count) * kMapOpWords > nwords) {
    ThrowType(env, "the op table holds " + std::to_string(nwords / kMapOpWords) + " ops, not " + std::to_string(count));
  }
  // No allocation unless a row is bad: this runs inside the caller's write window.
  auto inData = [&](uint32_t offset, uint32_t size) { return static_cast<size_t>(offset) + size <= data.size; };
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t* op = table + static_cast<size_t>(i) * kMapOpWords;
    const char* bad = nullptr;
    if (op[kOpMap] >= nfds) bad = "its map index is past the fds";
    else if (op[kOpKind] != kOpUpdate && op[kOpKind] != kOpDelete) bad = "unknown kind";
    else if (!inData(op[kOpKeyOffset], op[kOpKeySize])) bad = "key bytes past the end of the data";
    else if (op[kOpKind] == kOpUpdate && !inData(op[kOpValueOffset], op[kOpValueSize])) bad = "value bytes past the end of the data";
    if (bad != nullptr) ThrowType(env, "op " + std::to_string(i) + " of the table: " + bad);
  }
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t* op = table + static_cast<size_t>(i) * kMapOpWords;
    int fd = fds[op[kOpMap]];
    const void* key = op[kOpKeySize] == 0 ? nullptr : data.data + op[kOpKeyOffset];
    int r;
    if (op[kOpKind] == kOpUpdate) {
      r = bpf_map_update_elem(fd, key, data.data + op[kOpValueOffset], op[kOpFlags]);
    } else {
      r = bpf_map_delete_elem(fd, key);
      if (r != 0 && errno == ENOENT) r = 0;
    }
    if (r != 0) {
      int err = errno;
      Napi::Error e = ErrnoError(env, err, op[kOpKind] == kOpUpdate ? "bpf_map_update_elem" : "bpf_map_delete_elem", "", TakeLibbpfLog());
      e.Set("index", Napi::Number::New(env, i));
      throw e;
    }
  }
  return Napi::Number::New(env, count);
}

Napi::Value MapFreeze(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (bpf_map_freeze(IntArg(info, 0, "map fd")) != 0) ThrowErrno(env, errno, "bpf_map_freeze");
  return env.Undefined();
}

// mapCreate(type, name, keySize, valueSize, maxEntries, flags) -> fd
Napi::Value MapCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  __u32 type = UintArg(info, 0, "map type");
  std::string name = StringArg(info, 1, "name");
  struct bpf_map_create_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  opts.map_flags = UintArg(info, 5, "flags");
  ResetLibbpfLog();
  int fd = bpf_map_create(static_cast<enum bpf_map_type>(type), name.c_str(), UintArg(info, 2, "key size"),
                          UintArg(info, 3, "value size"), UintArg(info, 4, "max entries"), &opts);
  if (fd < 0) ThrowErrno(env, errno, "bpf_map_create", name);
  return Napi::Number::New(env, fd);
}

// mapInfo(fd) -> { id, type, typeName, keySize, valueSize, maxEntries, flags, name }
Napi::Value MapInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct bpf_map_info mi;
  memset(&mi, 0, sizeof mi);
  __u32 len = sizeof mi;
  if (bpf_obj_get_info_by_fd(IntArg(info, 0, "map fd"), &mi, &len) != 0) ThrowErrno(env, errno, "map info");
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", Napi::Number::New(env, mi.id));
  const char* typeName = libbpf_bpf_map_type_str(static_cast<enum bpf_map_type>(mi.type));
  o.Set("type", Napi::String::New(env, typeName != nullptr ? typeName : "unknown(" + std::to_string(mi.type) + ")"));
  o.Set("keySize", Napi::Number::New(env, mi.key_size));
  o.Set("valueSize", Napi::Number::New(env, mi.value_size));
  o.Set("maxEntries", Napi::Number::New(env, mi.max_entries));
  o.Set("flags", Napi::Number::New(env, mi.map_flags));
  o.Set("name", Napi::String::New(env, mi.name));
  return o;
}

}  // namespace

void InitMapOps(Napi::Env env, Napi::Object exports) {
  exports.Set("mapLookup", Napi::Function::New<MapLookup>(env, "mapLookup"));
  exports.Set("mapUpdate", Napi::Function::New<MapUpdate>(env, "mapUpdate"));
  exports.Set("mapDelete", Napi::Function::New<MapDelete>(env, "mapDelete"));
  exports.Set("mapNextKey", Napi::Function::New<MapNextKey>(env, "mapNextKey"));
  exports.Set("mapLookupAndDelete", Napi::Function::New<MapLookupAndDelete>(env, "mapLookupAndDelete"));
  exports.Set("mapLookupBatch", Napi::Function::New<MapLookupBatch>(env, "mapLookupBatch"));
  exports.Set("mapUpdateBatch", Napi::Function::New<MapUpdateBatch>(env, "mapUpdateBatch"));
  exports.Set("mapDeleteBatch", Napi::Function::New<MapDeleteBatch>(env, "mapDeleteBatch"));
  exports.Set("mapApplyOps", Napi::Function::New<MapApplyOps>(env, "mapApplyOps"));
  exports.Set("mapFreeze", Napi::Function::New<MapFreeze>(env, "mapFreeze"));
  exports.Set("mapCreate", Napi::Function::New<MapCreate>(env, "mapCreate"));
  exports.Set("mapInfo", Napi::Function::New<MapInfo>(env, "mapInfo"));
}

}  // namespace keelson
