#include "attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common.h"
#include "errors.h"
#include "link.h"
#include "netns.h"

namespace keelson {

namespace {

// Kernel 6.6 attach types and flags that libbpf 1.1's uapi header predates (values from the
// kernel's include/uapi/linux/bpf.h).
constexpr __u32 kBpfTcxIngress = 46;
constexpr __u32 kBpfTcxEgress = 47;

Napi::Object Attached(Napi::Env env, Napi::Object link, int ifindex) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("link", link);
  o.Set("ifindex", Napi::Number::New(env, ifindex));
  return o;
}

// attachTcx(progFd, iface, netnsPath, egress, flags, relativeFd, expectedRevision) -> { link, ifindex }
//
// libbpf 1.1 has no bpf_program__attach_tcx (1.3), and its bpf_link_create() cannot pass tcx's
// relative_fd/expected_revision, so this issues BPF_LINK_CREATE itself. The tcx member of the
// link_create union sits where 1.1's header has target_btf_id (offset 16 of link_create):
// { __u32 relative_fd; __u64 expected_revision; }.
Napi::Value AttachTcx(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int progFd = IntArg(info, 0, "program fd");
  std::string netns = StringArg(info, 2, "netns", true);
  bool egress = info[3].ToBoolean().Value();
  __u32 flags = UintArg(info, 4, "flags");
  __u32 relativeFd = UintArg(info, 5, "relative fd");
  __u64 expectedRevision = U64Arg(info, 6, "expected revision");
  NetnsScope ns(env, netns);
  int ifindex = ResolveIfindex(env, info[1], netns);
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.link_create.prog_fd = progFd;
  attr.link_create.target_ifindex = ifindex;
  attr.link_create.attach_type = static_cast<enum bpf_attach_type>(egress ? kBpfTcxEgress : kBpfTcxIngress);
  attr.link_create.flags = flags;
  auto* tail = reinterpret_cast<unsigned char*>(&attr.link_create.target_btf_id);
  memcpy(tail, &relativeFd, sizeof relativeFd);
  memcpy(tail + 8, &expectedRevision, sizeof expectedRevision);
  int fd = static_cast<int>(syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof attr));
  if (fd < 0) ThrowErrno(env, errno, "BPF_LINK_CREATE tcx", std::string(egress ? "egress" : "ingress") + " ifindex " + std::to_string(ifindex));
  return Attached(env, LinkHandle::FromFd(env, fd), ifindex);
}

// attachXdp(progFd, iface, netnsPath, xdpFlags) -> { link, ifindex }
Napi::Value AttachXdp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int progFd = IntArg(info, 0, "program fd");
  std::string netns = StringArg(info, 2, "netns", true);
  __u32 flags = UintArg(info, 3, "flags");
  NetnsScope ns(env, netns);
  int ifindex = ResolveIfindex(env, info[1], netns);
  struct bpf_link_create_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  opts.flags = flags;
  ResetLibbpfLog();
  int fd = bpf_link_create(progFd, ifindex, BPF_XDP, &opts);
  if (fd < 0) ThrowErrno(env, errno, "BPF_LINK_CREATE xdp", "ifindex " + std::to_string(ifindex));
  return Attached(env, LinkHandle::FromFd(env, fd), ifindex);
}

// attachTcClsact(progFd, iface, netnsPath, egress, handle, priority) -> { link, ifindex }
Napi::Value AttachTcClsact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int progFd = IntArg(info, 0, "program fd");
  std::string netns = StringArg(info, 2, "netns", true);
  bool egress = info[3].ToBoolean().Value();
  __u32 handle = UintArg(info, 4, "handle");
  __u32 priority = UintArg(info, 5, "priority");
  NetnsScope ns(env, netns);
  int ifindex = ResolveIfindex(env, info[1], netns);
  struct bpf_tc_hook hook;
  memset(&hook, 0, sizeof hook);
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
  ResetLibbpfLog();
  int r = bpf_tc_hook_create(&hook);
  if (r != 0 && r != -EEXIST) ThrowErrno(env, -r, "bpf_tc_hook_create", "clsact qdisc on ifindex " + std::to_string(ifindex));
  struct bpf_tc_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.sz = sizeof opts;
  opts.prog_fd = progFd;
  opts.handle = handle;
  opts.priority = priority;
  r = bpf_tc_attach(&hook, &opts);
  if (r != 0) ThrowErrno(env, -r, "bpf_tc_attach", "ifindex " + std::to_string(ifindex));
  TcFilter f;
  f.ifindex = ifindex;
  f.attachPoint = hook.attach_point;
  f.handle = opts.handle;
  f.priority = opts.priority;
  f.progId = opts.prog_id;
  f.netns = netns;
  return Attached(env, LinkHandle::FromTcFilter(env, f), ifindex);
}

// ifindex(iface, netnsPath) -> number
Napi::Value Ifindex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = StringArg(info, 1, "netns", true);
  NetnsScope ns(env, netns);
  return Napi::Number::New(env, ResolveIfindex(env, info[0], netns));
}

// linkOpen(path) -> LinkHandle for a link pinned in bpffs
Napi::Value LinkOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = StringArg(info, 0, "path");
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) ThrowErrno(env, errno, "bpf_obj_get", path);
  // A pinned map or program opens just as well; only a link's inode is "bpf-link".
  char target[64] = {0};
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(self.c_str(), target, sizeof target - 1);
  if (n <= 0 || strcmp(target, "anon_inode:bpf-link") != 0) {
    close(fd);
    ThrowErrno(env, EINVAL, "open pinned link", path + " is not a BPF link (" + (n > 0 ? std::string(target) : "unknown") + ")");
  }
  return LinkHandle::FromFd(env, fd);
}

}  // namespace

void InitAttach(Napi::Env env, Napi::Object exports) {
  exports.Set("attachTcx", Napi::Function::New<AttachTcx>(env, "attachTcx"));
  exports.Set("attachXdp", Napi::Function::New<AttachXdp>(env, "attachXdp"));
  exports.Set("attachTcClsact", Napi::Function::New<AttachTcClsact>(env, "attachTcClsact"));
  exports.Set("ifindex", Napi::Function::New<Ifindex>(env, "ifindex"));
  exports.Set("linkOpen", Napi::Function::New<LinkOpen>(env, "linkOpen"));
}

}  // namespace keelson
