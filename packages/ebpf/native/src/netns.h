// Runs a few syscalls inside another network namespace on the calling (JS) thread.
//
// setns(CLONE_NEWNET) switches only the calling thread, so the addon can enter a namespace,
// resolve an interface and create a link there, and come back before any JavaScript runs again.
// The link keeps working after we leave: it belongs to the device, and its fd to this process.
#pragma once

#include <napi.h>

#include <string>

namespace keelson {

class NetnsScope {
 public:
  // path empty: stay where we are. Throws a JS error when the namespace cannot be entered.
  NetnsScope(Napi::Env env, const std::string& path);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  int original_ = -1;
};

// Interface name or decimal ifindex, resolved in the current namespace. Throws ENODEV with a hint.
int ResolveIfindex(Napi::Env env, const Napi::Value& iface, const std::string& netnsPath);

}  // namespace keelson
