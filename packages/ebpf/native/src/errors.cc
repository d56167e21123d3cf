#include "errors.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace keelson {

namespace {

// Bounded: a libbpf that prints a huge log through the callback must not grow memory without end.
constexpr size_t kMaxCapturedLog = 64 * 1024;

thread_local std::string tl_log;
bool g_debug = false;

int PrintToBuffer(enum libbpf_print_level level, const char* format, va_list args) {
  va_list copy;
  va_copy(copy, args);
  if (g_debug) vfprintf(stderr, format, copy);
  va_end(copy);
  if (level == LIBBPF_DEBUG) return 0;
  char small[512];
  va_list sizing;
  va_copy(sizing, args);
  int n = vsnprintf(small, sizeof small, format, sizing);
  va_end(sizing);
  if (n < 0) return 0;
  std::string text;
  if (static_cast<size_t>(n) < sizeof small) {
    text.assign(small, n);
  } else {
    std::vector<char> big(n + 1);
    vsnprintf(big.data(), big.size(), format, args);
    text.assign(big.data(), n);
  }
  if (tl_log.size() + text.size() > kMaxCapturedLog) return 0;
  tl_log += text;
  return 0;
}

}  // namespace

void InstallLibbpfPrint() {
  const char* d = getenv("KEELSON_LIBBPF_DEBUG");
  g_debug = d != nullptr && d[0] != '\0' && strcmp(d, "0") != 0;
  libbpf_set_print(PrintToBuffer);
}

void ResetLibbpfLog() { tl_log.clear(); }

std::string TakeLibbpfLog() {
  std::string out;
  out.swap(tl_log);
  return out;
}

Napi::Error ErrnoError(Napi::Env env, int err, const std::string& op, const std::string& detail,
                       const std::string& libbpfLog) {
  if (err < 0) err = -err;
  std::string message = op + ": " + strerror(err);
  if (!detail.empty()) message += " (" + detail + ")";
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("op", Napi::String::New(env, op));
  if (!detail.empty()) e.Set("detail", Napi::String::New(env, detail));
  if (!libbpfLog.empty()) e.Set("libbpfLog", Napi::String::New(env, libbpfLog));
  return e;
}

void ThrowErrno(Napi::Env env, int err, const std::string& op, const std::string& detail) {
  throw ErrnoError(env, err, op, detail, TakeLibbpfLog());
}

}  // namespace keelson
