/* Layouts shared by gc.bpf.c and src/trace/gc-*.ts (keep both in step). */
#ifndef KEELSON_GC_H
#define KEELSON_GC_H

#define GC_REASON_TEXT 64

struct gc_config {
	__u32 tgid; /* 0 = every process the uprobes fire in */
	__u32 pad;
};

#define GC_EVENT_HEAP_BEFORE 1 /* heap_before was read */
#define GC_EVENT_HEAP_AFTER 2  /* heap_after was read */

/* One record per garbage collection (outermost Heap::PerformGarbageCollection on a thread). */
struct gc_event {
	__u64 start_ns;    /* CLOCK_MONOTONIC, like process.hrtime.bigint() */
	__u64 duration_ns;
	__u64 heap_before; /* Heap::SizeOfObjects() bytes: the first call inside the collection */
	__u64 heap_after;  /* ... and the last one */
	__u32 tgid;
	__u32 tid;
	__u32 collector;   /* v8::internal::GarbageCollector */
	__u32 reason;      /* v8::internal::GarbageCollectionReason */
	__u32 flags;       /* GC_EVENT_* */
	__u32 pad;
	char reason_text[GC_REASON_TEXT]; /* the collector_reason C string, when V8 passes one */
};

#endif
