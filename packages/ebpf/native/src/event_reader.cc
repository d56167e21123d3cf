#include "event_reader.h"

#include <bpf/libbpf.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "errors.h"

namespace keelson {

namespace {

constexpr size_t kHeader = 8;

inline size_t Align8(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

struct ReaderCore {
  Napi::Env env;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> asyncContext;
  uv_poll_t poll;
  // One drain right after libuv has registered the epoll fd (see StartFirstDrain).
  uv_idle_t idle;
  uv_check_t check;
  bool firstDrainPending = false;
  int openHandles = 0;
  struct ring_buffer* rb = nullptr;
  struct perf_buffer* pb = nullptr;
  std::vector<uint8_t> batch;
  size_t used = 0;
  uint32_t count = 0;
  uint64_t lost = 0;
  size_t maxBatchBytes = 0;
  bool full = false;
  bool closing = false;
  bool delivering = false;
  bool buffers = false;  // deliver an Array of Buffers instead of one packed ArrayBuffer
  // Totals since open, for stats().
  double totalBatches = 0;
  double totalRecords = 0;
  double totalLost = 0;

  explicit ReaderCore(Napi::Env e) : env(e) {}

  void Append(const void* data, size_t size, uint32_t cpu) {
    size_t need = kHeader + Align8(size);
    if (used + need > batch.size()) batch.resize(std::max(batch.size() * 2, used + need));
    uint8_t* p = batch.data() + used;
    uint32_t size32 = static_cast<uint32_t>(size);
    memcpy(p, &size32, 4);
    memcpy(p + 4, &cpu, 4);
    memcpy(p + kHeader, data, size);
    size_t pad = Align8(size) - size;
    if (pad != 0) memset(p + kHeader + size, 0, pad);
    used += need;
    count++;
    if (used >= maxBatchBytes) full = true;
  }
};

int OnRingSample(void* ctx, void* data, size_t size) {
  auto* c = static_cast<ReaderCore*>(ctx);
  c->Append(data, size, 0);
  // A negative return stops libbpf's drain loop after this record (already consumed).
  return c->full ? -1 : 0;
}

void OnPerfSample(void* ctx, int cpu, void* data, __u32 size) {
  static_cast<ReaderCore*>(ctx)->Append(data, size, static_cast<uint32_t>(cpu));
}

void OnPerfLost(void* ctx, int cpu, __u64 count) { static_cast<ReaderCore*>(ctx)->lost += count; }

// Drains into core->batch. Returns 0 or a negative errno.
int Drain(ReaderCore* c) {
  c->used = 0;
  c->count = 0;
  c->full = false;
  int r = c->rb != nullptr ? ring_buffer__consume(c->rb) : perf_buffer__consume(c->pb);
  if (r < 0 && !c->full) return r;
  return 0;
}

Napi::Value BatchValue(ReaderCore* c) {
  Napi::Env env = c->env;
  if (!c->buffers) {
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, c->used);
    if (c->used != 0) memcpy(ab.Data(), c->batch.data(), c->used);
    return ab;
  }
  Napi::Array arr = Napi::Array::New(env, c->count);
  size_t off = 0;
  for (uint32_t i = 0; i < c->count; i++) {
    uint32_t size;
    memcpy(&size, c->batch.data() + off, 4);
    arr.Set(i, Napi::Buffer<uint8_t>::Copy(env, c->batch.data() + off + kHeader, size));
    off += kHeader + Align8(size);
  }
  return arr;
}

// Calls JS with (error | null, batch, count, lost). fromLoop: called by libuv (MakeCallback runs
// microtasks and async hooks afterwards); otherwise from a JS call (consume()).
void Deliver(ReaderCore* c, int err, bool fromLoop) {
  if (err == 0 && c->count == 0 && c->lost == 0) return;
  Napi::Env env = c->env;
  Napi::HandleScope scope(env);
  Napi::Value error = env.Null();
  if (err != 0) error = ErrnoError(env, -err, c->rb != nullptr ? "ring_buffer__consume" : "perf_buffer__consume").Value();
  uint64_t lost = c->lost;
  c->lost = 0;
  c->totalBatches++;
  c->totalRecords += c->count;
  c->totalLost += static_cast<double>(lost);
  std::vector<napi_value> args = {error, BatchValue(c), Napi::Number::New(env, c->count),
                                  Napi::Number::New(env, static_cast<double>(lost))};
  c->delivering = true;
  if (fromLoop) {
    try {
      c->callback.MakeCallback(env.Global(), args, *c->asyncContext);
    } catch (const Napi::Error& e) {
      // A throwing callback is an uncaught exception, as for any other event-loop callback.
      napi_fatal_exception(env, e.Value());
    }
    c->delivering = false;
  } else {
    try {
      c->callback.Call(env.Global(), args);
    } catch (...) {
      c->delivering = false;
      throw;
    }
    c->delivering = false;
  }
}

void OnPoll(uv_poll_t* handle, int status, int events) {
  auto* c = static_cast<ReaderCore*>(handle->data);
  if (c->closing || c->delivering) return;
  int err = status < 0 ? -EIO : Drain(c);
  Deliver(c, err, true);
}

void StopFirstDrain(ReaderCore* c) {
  if (!c->firstDrainPending) return;
  c->firstDrainPending = false;
  uv_idle_stop(&c->idle);
  uv_check_stop(&c->check);
}

void OnIdle(uv_idle_t*) {}

void OnFirstCheck(uv_check_t* handle) {
  auto* c = static_cast<ReaderCore*>(handle->data);
  StopFirstDrain(c);
  if (c->closing || c->delivering) return;
  Deliver(c, Drain(c), true);
}

// libuv adds the epoll fd to its own epoll set lazily, in the next poll phase. A perf event fd
// reports readiness destructively (perf_poll swaps its flag to 0), and inserting the nested
// epoll fd polls it once before epoll_wait polls it again: records written between
// perf_buffer__new() and that registration would raise no event until the next record comes.
// So drain once in the check phase that follows the first poll phase (an active idle handle keeps
// that poll phase from blocking).
void StartFirstDrain(ReaderCore* c, uv_loop_t* loop) {
  uv_idle_init(loop, &c->idle);
  uv_check_init(loop, &c->check);
  c->idle.data = c;
  c->check.data = c;
  c->openHandles += 2;
  uv_unref(reinterpret_cast<uv_handle_t*>(&c->idle));
  uv_unref(reinterpret_cast<uv_handle_t*>(&c->check));
  uv_idle_start(&c->idle, OnIdle);
  uv_check_start(&c->check, OnFirstCheck);
  c->firstDrainPending = true;
}

void OnClosed(uv_handle_t* handle) {
  auto* c = static_cast<ReaderCore*>(handle->data);
  if (--c->openHandles > 0) return;
  if (c->rb != nullptr) ring_buffer__free(c->rb);
  if (c->pb != nullptr) perf_buffer__free(c->pb);
  delete c;
}

class EventReader : public Napi::ObjectWrap<EventReader> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "EventReader",
                                      {
                                          InstanceMethod<&EventReader::Close>("close"),
                                          InstanceMethod<&EventReader::Consume>("consume"),
                                          InstanceMethod<&EventReader::Ref>("ref"),
                                          InstanceMethod<&EventReader::Unref>("unref"),
                                          InstanceMethod<&EventReader::Stats>("stats"),
                                      });
    exports.Set("EventReader", ctor);
  }

  // new EventReader(kind: 'ringbuf' | 'perf', mapFd, callback, { maxBatchBytes, pageCount, delivery })
  explicit EventReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EventReader>(info) {
    Napi::Env env = info.Env();
    std::string kind = StringArg(info, 0, "kind");
    int mapFd = IntArg(info, 1, "map fd");
    if (!info[2].IsFunction()) ThrowType(env, "callback must be a function");
    Napi::Object o = info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);
    auto core = std::make_unique<ReaderCore>(env);
    core->maxBatchBytes = static_cast<size_t>(IntProp(o, "maxBatchBytes", 1 << 20));
    if (core->maxBatchBytes < 4096) core->maxBatchBytes = 4096;
    core->buffers = StringProp(o, "delivery", "packed") == "buffers";
    core->batch.resize(core->maxBatchBytes + 64 * 1024);
    ResetLibbpfLog();
    errno = 0;
    int epollFd;
    if (kind == "ringbuf") {
      core->rb = ring_buffer__new(mapFd, OnRingSample, core.get(), nullptr);
      if (core->rb == nullptr) ThrowErrno(env, errno != 0 ? errno : EINVAL, "ring_buffer__new");
      epollFd = ring_buffer__epoll_fd(core->rb);
    } else if (kind == "perf") {
      size_t pages = static_cast<size_t>(IntProp(o, "pageCount", 64));
      core->pb = perf_buffer__new(mapFd, pages, OnPerfSample, OnPerfLost, core.get(), nullptr);
      if (core->pb == nullptr) ThrowErrno(env, errno != 0 ? errno : EINVAL, "perf_buffer__new", "page count " + std::to_string(pages) + " (must be a power of two)");
      epollFd = perf_buffer__epoll_fd(core->pb);
    } else {
      ThrowType(env, "kind must be 'ringbuf' or 'perf'");
    }
    core->callback = Napi::Persistent(info[2].As<Napi::Function>());
    core->asyncContext = std::make_unique<Napi::AsyncContext>(env, kind == "ringbuf" ? "keelson:ringbuf" : "keelson:perfbuf");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    int r = uv_poll_init(loop, &core->poll, epollFd);
    if (r != 0) {
      if (core->rb != nullptr) ring_buffer__free(core->rb);
      if (core->pb != nullptr) perf_buffer__free(core->pb);
      ThrowErrno(env, -r, "uv_poll_init", uv_strerror(r));
    }
    core->poll.data = core.get();
    core->openHandles = 1;
    r = uv_poll_start(&core->poll, UV_READABLE, OnPoll);
    if (r != 0) {
      // The handle is registered with the loop now: release everything through its close callback.
      core->closing = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&core->poll), OnClosed);
      core.release();
      ThrowErrno(env, -r, "uv_poll_start", uv_strerror(r));
    }
    StartFirstDrain(core.get(), loop);
    core_ = core.release();
  }

  ~EventReader() override { Shutdown(); }

 private:
  void Shutdown() {
    if (core_ == nullptr) return;
    ReaderCore* c = core_;
    core_ = nullptr;
    c->closing = true;
    StopFirstDrain(c);
    uv_poll_stop(&c->poll);
    // The buffers are freed once libuv has let go of every handle.
    uv_close(reinterpret_cast<uv_handle_t*>(&c->poll), OnClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->idle), OnClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->check), OnClosed);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  // consume(): drain now and deliver through the callback; returns the number of records.
  Napi::Value Consume(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (core_ == nullptr) ThrowErrno(env, EBADF, "consume", "the reader is closed");
    if (core_->delivering) ThrowErrno(env, EBUSY, "consume", "called from inside the reader's own callback");
    double total = 0;
    // Repeat while batches come back full: consume() means "everything available now".
    for (;;) {
      ReaderCore* c = core_;
      int err = Drain(c);
      uint32_t n = c->count;
      bool full = c->full;
      Deliver(c, err, false);
      total += n;
      if (err != 0 || !full || core_ == nullptr) break;
    }
    return Napi::Number::New(env, total);
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (core_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&core_->poll));
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (core_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&core_->poll));
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("batches", Napi::Number::New(env, core_ != nullptr ? core_->totalBatches : 0));
    o.Set("records", Napi::Number::New(env, core_ != nullptr ? core_->totalRecords : 0));
    o.Set("lost", Napi::Number::New(env, core_ != nullptr ? core_->totalLost : 0));
    return o;
  }

  ReaderCore* core_ = nullptr;
};

}  // namespace

void InitEventReader(Napi::Env env, Napi::Object exports) { EventReader::Init(env, exports); }

}  // namespace keelson
