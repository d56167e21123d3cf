#include "netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "errors.h"

namespace keelson {

NetnsScope::NetnsScope(Napi::Env env, const std::string& path) {
  if (path.empty()) return;
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) ThrowErrno(env, errno, "open network namespace", path);
  // thread-self, not self: the namespace of this thread is what we must restore.
  original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0) {
    int err = errno;
    close(target);
    ThrowErrno(env, err, "open /proc/thread-self/ns/net");
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    close(target);
    close(original_);
    original_ = -1;
    ThrowErrno(env, err, "setns", path);
  }
  close(target);
}

NetnsScope::~NetnsScope() {
  if (original_ < 0) return;
  if (setns(original_, CLONE_NEWNET) != 0) {
    // The JS thread would keep running in the wrong namespace: nothing sane can follow.
    fprintf(stderr, "keelson ebpf: cannot return to the original network namespace: %s\n", strerror(errno));
    abort();
  }
  close(original_);
}

int ResolveIfindex(Napi::Env env, const Napi::Value& iface, const std::string& netnsPath) {
  if (iface.IsNumber()) {
    int ifindex = iface.As<Napi::Number>().Int32Value();
    if (ifindex <= 0) ThrowErrno(env, EINVAL, "resolve interface", "ifindex must be > 0");
    return ifindex;
  }
  if (!iface.IsString()) throw Napi::TypeError::New(env, "interface must be a name or an ifindex");
  std::string name = iface.As<Napi::String>().Utf8Value();
  unsigned int ifindex = if_nametoindex(name.c_str());
  if (ifindex == 0) {
    std::string where = netnsPath.empty() ? "this process's network namespace" : "network namespace " + netnsPath;
    ThrowErrno(env, ENODEV, "resolve interface", "no interface \"" + name + "\" in " + where);
  }
  return static_cast<int>(ifindex);
}

}  // namespace keelson
