// Attachments to network devices: tcx and XDP links (fd-owned, released when the process dies),
// classic clsact tc filters (netlink, the fallback for kernels before 6.6). Each can run inside
// another network namespace (see netns.h).
#pragma once

#include <napi.h>

namespace keelson {

void InitAttach(Napi::Env env, Napi::Object exports);

}  // namespace keelson
