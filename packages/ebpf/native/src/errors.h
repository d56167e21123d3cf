// Errors thrown to JavaScript carry the errno, the operation and what libbpf said while doing it;
// the TypeScript side turns them into BpfError/BpfVerifierError with a hint.
#pragma once

#include <napi.h>

#include <string>

namespace keelson {

// Routes libbpf's messages into a per-thread buffer (and to stderr when KEELSON_LIBBPF_DEBUG is set),
// so an error can say what libbpf printed while the failing call ran.
void InstallLibbpfPrint();
void ResetLibbpfLog();
std::string TakeLibbpfLog();

// err is a positive errno value.
Napi::Error ErrnoError(Napi::Env env, int err, const std::string& op, const std::string& detail = "",
                       const std::string& libbpfLog = "");
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const std::string& op, const std::string& detail = "");

}  // namespace keelson
