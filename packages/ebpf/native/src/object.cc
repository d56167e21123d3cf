#include "object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include <cerrno>
#include <cstring>

#include "common.h"
#include "errors.h"
#include "link.h"

namespace keelson {

namespace {

const char* OrUnknown(const char* s) { return s != nullptr ? s : "unknown"; }

// The name a C programmer wrote for a variable's type: const/volatile dropped, typedefs kept.
std::string TypeName(const struct btf* btf, __u32 id) {
  const struct btf_type* t = btf__type_by_id(btf, id);
  while (t != nullptr && (btf_is_const(t) || btf_is_volatile(t) || btf_is_restrict(t))) {
    id = t->type;
    t = btf__type_by_id(btf, id);
  }
  if (t == nullptr) return "?";
  const char* name = btf__name_by_offset(btf, t->name_off);
  if (btf_is_array(t)) {
    const struct btf_array* a = btf_array(t);
    return TypeName(btf, a->type) + "[" + std::to_string(a->nelems) + "]";
  }
  if (btf_is_ptr(t)) return TypeName(btf, t->type) + "*";
  if (name != nullptr && name[0] != '\0') {
    if (btf_is_struct(t)) return std::string("struct ") + name;
    if (btf_is_union(t)) return std::string("union ") + name;
    if (btf_is_enum(t)) return std::string("enum ") + name;
    return name;
  }
  return btf_is_struct(t) ? "struct (anonymous)" : "?";
}

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, BpfObjectHandle* handle, size_t logSize)
      : Napi::AsyncWorker(env, "keelson:bpf_object__load"),
        handle_(handle),
        logSize_(logSize),
        deferred_(Napi::Promise::Deferred::New(env)) {
    handle_->Ref();
  }
  ~LoadWorker() override { handle_->Unref(); }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    struct bpf_object* obj = handle_->obj();
    ResetLibbpfLog();
    handle_->logBuffers.clear();
    struct bpf_program* prog;
    std::vector<struct bpf_program*> progs;
    bpf_object__for_each_program(prog, obj) {
      if (!bpf_program__autoload(prog)) continue;
      // libbpf loads with log level 0 and, on failure, retries at level 1 into this buffer. It does
      // not grow a caller's buffer, but kernels >= 6.4 keep the tail of an overflowing log, and the
      // tail is where the verifier says what went wrong.
      std::unique_ptr<char[]> buf(new char[logSize_]);
      buf[0] = '\0';
      bpf_program__set_log_buf(prog, buf.get(), logSize_);
      handle_->logBuffers.push_back(std::move(buf));
      progs.push_back(prog);
    }
    int r = bpf_object__load(obj);
    if (r != 0) {
      err_ = errno != 0 ? errno : -r;
      for (size_t i = 0; i < progs.size(); i++) {
        const char* log = handle_->logBuffers[i].get();
        if (log[0] == '\0') continue;
        program_ = bpf_program__name(progs[i]);
        verifierLog_.assign(log, strnlen(log, logSize_));
        truncated_ = verifierLog_.size() + 1 >= logSize_;
        break;
      }
    }
    for (struct bpf_program* p : progs) bpf_program__set_log_buf(p, nullptr, 0);
    handle_->logBuffers.clear();
    libbpfLog_ = TakeLibbpfLog();
  }

  void OnOK() override {
    Napi::Env env = Env();
    handle_->loading = false;
    if (err_ == 0) {
      handle_->loaded = true;
      deferred_.Resolve(env.Undefined());
      return;
    }
    Napi::Error e = ErrnoError(env, err_, "bpf_object__load", program_.empty() ? "" : "program " + program_, libbpfLog_);
    if (!program_.empty()) e.Set("program", Napi::String::New(env, program_));
    if (!verifierLog_.empty()) e.Set("verifierLog", Napi::String::New(env, verifierLog_));
    e.Set("logTruncated", Napi::Boolean::New(env, truncated_));
    deferred_.Reject(e.Value());
  }

  void OnError(const Napi::Error& e) override {
    handle_->loading = false;
    deferred_.Reject(e.Value());
  }

 private:
  BpfObjectHandle* handle_;
  size_t logSize_;
  Napi::Promise::Deferred deferred_;
  int err_ = 0;
  std::string program_;
  std::string verifierLog_;
  std::string libbpfLog_;
  bool truncated_ = false;
};

}  // namespace

void BpfObjectHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "BpfObjectHandle",
                                    {
                                        InstanceMethod<&BpfObjectHandle::Info>("info"),
                                        InstanceMethod<&BpfObjectHandle::InitialValue>("initialValue"),
                                        InstanceMethod<&BpfObjectHandle::SetInitialValue>("setInitialValue"),
                                        InstanceMethod<&BpfObjectHandle::SetMaxEntries>("setMaxEntries"),
                                        InstanceMethod<&BpfObjectHandle::SetAutoload>("setAutoload"),
                                        InstanceMethod<&BpfObjectHandle::Load>("load"),
                                        InstanceMethod<&BpfObjectHandle::ProgramFd>("programFd"),
                                        InstanceMethod<&BpfObjectHandle::MapFd>("mapFd"),
                                        InstanceMethod<&BpfObjectHandle::AttachAuto>("attachAuto"),
                                        InstanceMethod<&BpfObjectHandle::AttachTracepoint>("attachTracepoint"),
                                        InstanceMethod<&BpfObjectHandle::AttachRawTracepoint>("attachRawTracepoint"),
                                        InstanceMethod<&BpfObjectHandle::AttachUprobe>("attachUprobe"),
                                        InstanceMethod<&BpfObjectHandle::Close>("close"),
                                    });
  exports.Set("BpfObjectHandle", ctor);
}

// new BpfObjectHandle(path, { name?, btfCustomPath?, pinRoot? })
BpfObjectHandle::BpfObjectHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObjectHandle>(info) {
  Napi::Env env = info.Env();
  path_ = StringArg(info, 0, "path");
  Napi::Object o = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  std::string name = StringProp(o, "name");
  std::string btfPath = StringProp(o, "btfCustomPath");
  std::string pinRoot = StringProp(o, "pinRoot");
  struct bpf_object_open_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  if (!name.empty()) opts.object_name = name.c_str();
  if (!btfPath.empty()) opts.btf_custom_path = btfPath.c_str();
  if (!pinRoot.empty()) opts.pin_root_path = pinRoot.c_str();
  ResetLibbpfLog();
  errno = 0;
  obj_ = bpf_object__open_file(path_.c_str(), &opts);
  if (obj_ == nullptr) ThrowErrno(env, errno != 0 ? errno : EINVAL, "bpf_object__open_file", path_);
}

BpfObjectHandle::~BpfObjectHandle() {
  if (obj_ != nullptr) bpf_object__close(obj_);
}

void BpfObjectHandle::RequireUsable(Napi::Env env, const char* what) const {
  if (obj_ == nullptr) ThrowErrno(env, EBADF, what, "the object is closed");
  if (loading) ThrowErrno(env, EBUSY, what, "the object is loading");
}

void BpfObjectHandle::RequireNotLoaded(Napi::Env env, const char* what) const {
  RequireUsable(env, what);
  if (loaded) ThrowErrno(env, EBUSY, what, "the object is already loaded; configure it before load()");
}

void BpfObjectHandle::RequireLoaded(Napi::Env env, const char* what) const {
  RequireUsable(env, what);
  if (!loaded) ThrowErrno(env, EBADFD, what, "the object is not loaded yet; call load() first");
}

struct bpf_program* BpfObjectHandle::RequireProgram(Napi::Env env, const std::string& name) const {
  struct bpf_program* p = bpf_object__find_program_by_name(obj_, name.c_str());
  if (p == nullptr) ThrowErrno(env, ENOENT, "find program", "no program \"" + name + "\" in " + path_);
  return p;
}

struct bpf_map* BpfObjectHandle::RequireMap(Napi::Env env, const std::string& name) const {
  struct bpf_map* m = bpf_object__find_map_by_name(obj_, name.c_str());
  if (m == nullptr) ThrowErrno(env, ENOENT, "find map", "no map \"" + name + "\" in " + path_);
  return m;
}

Napi::Value BpfObjectHandle::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireUsable(env, "object info");
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", Napi::String::New(env, bpf_object__name(obj_)));

  Napi::Array programs = Napi::Array::New(env);
  struct bpf_program* prog;
  uint32_t i = 0;
  bpf_object__for_each_program(prog, obj_) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("name", Napi::String::New(env, bpf_program__name(prog)));
    p.Set("section", Napi::String::New(env, bpf_program__section_name(prog)));
    p.Set("type", Napi::String::New(env, OrUnknown(libbpf_bpf_prog_type_str(bpf_program__type(prog)))));
    p.Set("expectedAttachType",
          Napi::String::New(env, OrUnknown(libbpf_bpf_attach_type_str(bpf_program__expected_attach_type(prog)))));
    p.Set("autoload", Napi::Boolean::New(env, bpf_program__autoload(prog)));
    programs.Set(i++, p);
  }
  out.Set("programs", programs);

  Napi::Array maps = Napi::Array::New(env);
  struct bpf_map* map;
  i = 0;
  bpf_object__for_each_map(map, obj_) {
    Napi::Object m = Napi::Object::New(env);
    m.Set("name", Napi::String::New(env, bpf_map__name(map)));
    m.Set("type", Napi::String::New(env, OrUnknown(libbpf_bpf_map_type_str(bpf_map__type(map)))));
    m.Set("keySize", Napi::Number::New(env, bpf_map__key_size(map)));
    m.Set("valueSize", Napi::Number::New(env, bpf_map__value_size(map)));
    m.Set("maxEntries", Napi::Number::New(env, bpf_map__max_entries(map)));
    m.Set("flags", Napi::Number::New(env, bpf_map__map_flags(map)));
    m.Set("internal", Napi::Boolean::New(env, bpf_map__is_internal(map)));
    const char* pin = bpf_map__pin_path(map);
    if (pin != nullptr) m.Set("pinPath", Napi::String::New(env, pin));
    maps.Set(i++, m);
  }
  out.Set("maps", maps);

  // Global variables: every VAR of every DATASEC (.rodata, .data, .bss, custom .data.*) whose
  // section became a map, with the offset the map's value holds it at.
  Napi::Array globals = Napi::Array::New(env);
  const struct btf* btf = bpf_object__btf(obj_);
  i = 0;
  if (btf != nullptr) {
    __u32 n = btf__type_cnt(btf);
    for (__u32 id = 1; id < n; id++) {
      const struct btf_type* t = btf__type_by_id(btf, id);
      if (!btf_is_datasec(t)) continue;
      const char* sec = btf__name_by_offset(btf, t->name_off);
      if (sec == nullptr || sec[0] != '.') continue;
      struct bpf_map* m = bpf_object__find_map_by_name(obj_, sec);
      if (m == nullptr) continue;
      const struct btf_var_secinfo* vsi = btf_var_secinfos(t);
      for (__u16 j = 0; j < btf_vlen(t); j++, vsi++) {
        const struct btf_type* var = btf__type_by_id(btf, vsi->type);
        if (var == nullptr || !btf_is_var(var)) continue;
        Napi::Object g = Napi::Object::New(env);
        g.Set("name", Napi::String::New(env, btf__name_by_offset(btf, var->name_off)));
        g.Set("section", Napi::String::New(env, sec));
        g.Set("map", Napi::String::New(env, bpf_map__name(m)));
        g.Set("offset", Napi::Number::New(env, vsi->offset));
        g.Set("size", Napi::Number::New(env, vsi->size));
        g.Set("type", Napi::String::New(env, TypeName(btf, var->type)));
        globals.Set(i++, g);
      }
    }
  }
  out.Set("globals", globals);
  return out;
}

// initialValue(mapName) -> Buffer (a copy of the data libbpf will load into the map)
Napi::Value BpfObjectHandle::InitialValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireUsable(env, "initial value");
  struct bpf_map* m = RequireMap(env, StringArg(info, 0, "map name"));
  size_t size = 0;
  const void* data = bpf_map__initial_value(m, &size);
  if (data == nullptr) ThrowErrno(env, EINVAL, "initial value", std::string("map ") + bpf_map__name(m) + " has no initial value (only global-variable sections do)");
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(data), size);
}

// setInitialValue(mapName, bytes)
Napi::Value BpfObjectHandle::SetInitialValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "set initial value");
  struct bpf_map* m = RequireMap(env, StringArg(info, 0, "map name"));
  Bytes b = BytesArg(info, 1, "value");
  ResetLibbpfLog();
  if (bpf_map__set_initial_value(m, b.data, b.size) != 0) ThrowErrno(env, errno, "bpf_map__set_initial_value", bpf_map__name(m));
  return env.Undefined();
}

Napi::Value BpfObjectHandle::SetMaxEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "set max entries");
  struct bpf_map* m = RequireMap(env, StringArg(info, 0, "map name"));
  ResetLibbpfLog();
  if (bpf_map__set_max_entries(m, UintArg(info, 1, "max entries")) != 0) ThrowErrno(env, errno, "bpf_map__set_max_entries", bpf_map__name(m));
  return env.Undefined();
}

Napi::Value BpfObjectHandle::SetAutoload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "set autoload");
  struct bpf_program* p = RequireProgram(env, StringArg(info, 0, "program name"));
  if (bpf_program__set_autoload(p, info[1].ToBoolean().Value()) != 0) ThrowErrno(env, errno, "bpf_program__set_autoload");
  return env.Undefined();
}

// load(logSize) -> Promise<void>
Napi::Value BpfObjectHandle::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "load");
  size_t logSize = UintArg(info, 0, "log size");
  if (logSize < 4096) logSize = 4096;
  auto* worker = new LoadWorker(env, this, logSize);
  loading = true;
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

Napi::Value BpfObjectHandle::ProgramFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env, "program fd");
  struct bpf_program* p = RequireProgram(env, StringArg(info, 0, "program name"));
  int fd = bpf_program__fd(p);
  if (fd < 0) ThrowErrno(env, ENOENT, "program fd", std::string("program ") + bpf_program__name(p) + " was not loaded (autoload is off)");
  return Napi::Number::New(env, fd);
}

Napi::Value BpfObjectHandle::MapFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env, "map fd");
  struct bpf_map* m = RequireMap(env, StringArg(info, 0, "map name"));
  int fd = bpf_map__fd(m);
  if (fd < 0) ThrowErrno(env, ENOENT, "map fd", std::string("map ") + bpf_map__name(m) + " has no fd");
  return Napi::Number::New(env, fd);
}

// attachAuto(programName): attach as the program's ELF section says (tp/..., raw_tp/..., uprobe/...).
Napi::Value BpfObjectHandle::AttachAuto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env, "attach");
  struct bpf_program* p = RequireProgram(env, StringArg(info, 0, "program name"));
  ResetLibbpfLog();
  errno = 0;
  struct bpf_link* link = bpf_program__attach(p);
  if (link == nullptr) ThrowErrno(env, errno != 0 ? errno : EINVAL, "bpf_program__attach", std::string("program ") + bpf_program__name(p) + " in section " + bpf_program__section_name(p));
  return LinkHandle::FromLibbpf(env, link);
}

// attachTracepoint(programName, category, name)
Napi::Value BpfObjectHandle::AttachTracepoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env, "attach tracepoint");
  struct bpf_program* p = RequireProgram(env, StringArg(info, 0, "program name"));
  std::string category = StringArg(info, 1, "category");
  std::string name = StringArg(info, 2, "name");
  ResetLibbpfLog();
  errno = 0;
  struct bpf_link* link = bpf_program__attach_tracepoint(p, category.c_str(), name.c_str());
  if (link == nullptr) ThrowErrno(env, errno != 0 ? errno : EINVAL, "bpf_program__attach_tracepoint", category + "/" + name);
  return LinkHandle::FromLibbpf(env, link);
}

// attachRawTracepoint(programName, name)
Napi::Value BpfObjectHandle::AttachRawTracepoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env, "attach raw tracepoint");
  struct bpf_program* p = RequireProgram(env, StringArg(info, 0, "program name"));
  std::string name = StringArg(info, 1, "name");
  ResetLibbpfLog();
  errno = 0;
  struct bpf_link* link = bpf_program__attach_raw_tracepoint(p, name.c_str());
  if (link == nullptr) ThrowErrno(env, errno != 0 ? errno : EINVAL, "bpf_program__attach_raw_tracepoint", name);
  return LinkHandle::FromLibbpf(env, link);
}

// attachUprobe(programName, binaryPath, fileOffset, { pid, retprobe, cookie })
Napi::Value BpfObjectHandle::AttachUprobe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLoaded(env, "attach uprobe");
  struct bpf_program* p = RequireProgram(env, StringArg(info, 0, "program name"));
  std::string binary = StringArg(info, 1, "binary path");
  uint64_t offset = U64Arg(info, 2, "offset");
  Napi::Object o = info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);
  struct bpf_uprobe_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  opts.retprobe = BoolProp(o, "retprobe", false);
  opts.bpf_cookie = U64Prop(o, "cookie", 0);
  int pid = static_cast<int>(IntProp(o, "pid", -1));
  ResetLibbpfLog();
  errno = 0;
  struct bpf_link* link = bpf_program__attach_uprobe_opts(p, pid, binary.c_str(), offset, &opts);
  if (link == nullptr) ThrowErrno(env, errno != 0 ? errno : EINVAL, "bpf_program__attach_uprobe_opts", binary + " offset " + std::to_string(offset));
  return LinkHandle::FromLibbpf(env, link);
}

Napi::Value BpfObjectHandle::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (loading) ThrowErrno(env, EBUSY, "close", "the object is loading; await load() first");
  if (obj_ != nullptr) {
    bpf_object__close(obj_);
    obj_ = nullptr;
  }
  return env.Undefined();
}

}  // namespace keelson
