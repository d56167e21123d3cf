#include "link.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common.h"
#include "errors.h"
#include "netns.h"

namespace keelson {

// The kernel-internal ENOTSUPP some link types return for BPF_LINK_DETACH; not in userspace errno.h.
constexpr int kENOTSUPP = 524;

void LinkHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "LinkHandle",
                                    {
                                        InstanceMethod<&LinkHandle::Fd>("fd"),
                                        InstanceMethod<&LinkHandle::Pin>("pin"),
                                        InstanceMethod<&LinkHandle::Unpin>("unpin"),
                                        InstanceMethod<&LinkHandle::Detach>("detach"),
                                        InstanceMethod<&LinkHandle::Close>("close"),
                                        InstanceMethod<&LinkHandle::Info>("info"),
                                        InstanceMethod<&LinkHandle::Update>("update"),
                                    });
  GetAddonData(env)->linkConstructor = Napi::Persistent(ctor);
  exports.Set("LinkHandle", ctor);
}

LinkHandle::LinkHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LinkHandle>(info) {}

LinkHandle::~LinkHandle() {
  // A handle garbage-collected while open: the TypeScript side keeps open links reachable, so this
  // only runs at environment teardown. Release what the kernel would release anyway.
  if (closed_) return;
  if (link_ != nullptr) bpf_link__destroy(link_);
  else if (fd_ >= 0) close(fd_);
}

Napi::Object LinkHandle::FromLibbpf(Napi::Env env, struct bpf_link* link) {
  Napi::Object o = GetAddonData(env)->linkConstructor.New({});
  LinkHandle::Unwrap(o)->link_ = link;
  return o;
}

Napi::Object LinkHandle::FromFd(Napi::Env env, int fd) {
  Napi::Object o = GetAddonData(env)->linkConstructor.New({});
  LinkHandle::Unwrap(o)->fd_ = fd;
  return o;
}

Napi::Object LinkHandle::FromTcFilter(Napi::Env env, const TcFilter& filter) {
  Napi::Object o = GetAddonData(env)->linkConstructor.New({});
  LinkHandle* h = LinkHandle::Unwrap(o);
  h->isTcFilter_ = true;
  h->tc_ = filter;
  return o;
}

int LinkHandle::LinkFd() const {
  if (link_ != nullptr) return bpf_link__fd(link_);
  return fd_;
}

void LinkHandle::RequireOpen(Napi::Env env, const char* what) const {
  if (closed_) ThrowErrno(env, EBADF, what, "the link is closed");
}

Napi::Value LinkHandle::Fd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), closed_ || isTcFilter_ ? -1 : LinkFd());
}

Napi::Value LinkHandle::Pin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "pin link");
  std::string path = StringArg(info, 0, "path");
  if (isTcFilter_) {
    ThrowErrno(env, EOPNOTSUPP, "pin link",
               "a clsact tc filter is not a BPF link and cannot be pinned; attach with tcx (kernel >= 6.6)");
  }
  ResetLibbpfLog();
  int r = link_ != nullptr ? bpf_link__pin(link_, path.c_str()) : bpf_obj_pin(fd_, path.c_str());
  if (r != 0) ThrowErrno(env, errno, "pin link", path);
  return env.Undefined();
}

Napi::Value LinkHandle::Unpin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = StringArg(info, 0, "path");
  if (link_ != nullptr && bpf_link__pin_path(link_) != nullptr && path == bpf_link__pin_path(link_)) {
    int r = bpf_link__unpin(link_);
    if (r != 0) ThrowErrno(env, -r, "unpin link", path);
    return env.Undefined();
  }
  if (unlink(path.c_str()) != 0) ThrowErrno(env, errno, "unpin link", path);
  return env.Undefined();
}

void LinkHandle::DetachTcFilter(Napi::Env env) {
  NetnsScope ns(env, tc_.netns);
  struct bpf_tc_hook hook;
  memset(&hook, 0, sizeof hook);
  hook.sz = sizeof hook;
  hook.ifindex = tc_.ifindex;
  hook.attach_point = static_cast<enum bpf_tc_attach_point>(tc_.attachPoint);
  struct bpf_tc_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  opts.handle = tc_.handle;
  opts.priority = tc_.priority;
  ResetLibbpfLog();
  int r = bpf_tc_detach(&hook, &opts);
  // Gone already (interface or namespace deleted): the attachment no longer exists, which is the goal.
  if (r != 0 && r != -ENOENT && r != -ENODEV && r != -EINVAL) ThrowErrno(env, -r, "bpf_tc_detach");
}

Napi::Value LinkHandle::Detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "detach link");
  if (isTcFilter_) {
    DetachTcFilter(env);
    closed_ = true;
    return Napi::Boolean::New(env, true);
  }
  // BPF_LINK_DETACH cuts the attachment even when a pin or another process holds the link.
  // Perf-event links (tracepoints, uprobes) do not implement it: closing their last fd detaches.
  int r = bpf_link_detach(LinkFd());
  if (r != 0 && errno != EOPNOTSUPP && errno != EINVAL && errno != kENOTSUPP) {
    ThrowErrno(env, errno, "bpf_link_detach");
  }
  return Napi::Boolean::New(env, r == 0);
}

Napi::Value LinkHandle::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return env.Undefined();
  if (isTcFilter_) {
    DetachTcFilter(env);
  } else if (link_ != nullptr) {
    bpf_link__destroy(link_);
    link_ = nullptr;
  } else if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  closed_ = true;
  return env.Undefined();
}

Napi::Value LinkHandle::Update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "update link");
  int progFd = IntArg(info, 0, "program fd");
  if (isTcFilter_) ThrowErrno(env, EOPNOTSUPP, "update link", "a clsact tc filter is not a BPF link");
  int r = bpf_link_update(LinkFd(), progFd, nullptr);
  if (r != 0) ThrowErrno(env, errno, "bpf_link_update");
  return env.Undefined();
}

Napi::Value LinkHandle::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "link info");
  Napi::Object o = Napi::Object::New(env);
  if (isTcFilter_) {
    o.Set("type", Napi::String::New(env, "tc_clsact"));
    o.Set("id", Napi::Number::New(env, 0));
    o.Set("progId", Napi::Number::New(env, tc_.progId));
    o.Set("ifindex", Napi::Number::New(env, tc_.ifindex));
    o.Set("handle", Napi::Number::New(env, tc_.handle));
    o.Set("priority", Napi::Number::New(env, tc_.priority));
    return o;
  }
  struct bpf_link_info li;
  memset(&li, 0, sizeof li);
  __u32 len = sizeof li;
  if (bpf_obj_get_info_by_fd(LinkFd(), &li, &len) != 0) ThrowErrno(env, errno, "link info");
  const char* typeName = libbpf_bpf_link_type_str(static_cast<enum bpf_link_type>(li.type));
  // libbpf 1.1 predates tcx (11), netfilter (10), uprobe_multi (12), netkit (13).
  std::string type = typeName != nullptr ? typeName
                     : li.type == 10      ? "netfilter"
                     : li.type == 11      ? "tcx"
                     : li.type == 12      ? "uprobe_multi"
                     : li.type == 13      ? "netkit"
                                          : "unknown(" + std::to_string(li.type) + ")";
  o.Set("type", Napi::String::New(env, type));
  o.Set("id", Napi::Number::New(env, li.id));
  o.Set("progId", Napi::Number::New(env, li.prog_id));
  return o;
}

}  // namespace keelson
