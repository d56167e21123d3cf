// A program attachment owned by this process: a libbpf bpf_link, a raw link fd (tcx, XDP with
// flags, links opened from bpffs), or a classic clsact tc filter (netlink; no fd, so it does not go
// away by itself when the process dies: the one kind the exit hook exists for).
#pragma once

#include <bpf/libbpf.h>
#include <napi.h>

#include <cstdint>
#include <string>

namespace keelson {

struct TcFilter {
  int ifindex = 0;
  int attachPoint = 0;  // BPF_TC_INGRESS or BPF_TC_EGRESS
  uint32_t handle = 0;
  uint32_t priority = 0;
  uint32_t progId = 0;
  std::string netns;
};

class LinkHandle : public Napi::ObjectWrap<LinkHandle> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Object FromLibbpf(Napi::Env env, struct bpf_link* link);
  static Napi::Object FromFd(Napi::Env env, int fd);
  static Napi::Object FromTcFilter(Napi::Env env, const TcFilter& filter);

  explicit LinkHandle(const Napi::CallbackInfo& info);
  ~LinkHandle() override;

 private:
  Napi::Value Fd(const Napi::CallbackInfo& info);
  Napi::Value Pin(const Napi::CallbackInfo& info);
  Napi::Value Unpin(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Update(const Napi::CallbackInfo& info);

  int LinkFd() const;
  void RequireOpen(Napi::Env env, const char* what) const;
  void DetachTcFilter(Napi::Env env);

  struct bpf_link* link_ = nullptr;
  int fd_ = -1;
  bool isTcFilter_ = false;
  TcFilter tc_;
  bool closed_ = false;
};

}  // namespace keelson
