/** Tracers of running processes: function latency (uprobe pairs) and V8 GC pauses. See README.md here. */
export { LatencyTracer, type LatencyTracerOptions, type SlowCall } from './latency.js';
export { GcTracer, findV8Binary, type GcEvent, type GcTracerOptions } from './gc.js';
export { Log2Histogram, bucketOf, bucketBounds, formatDuration, LATENCY_BUCKETS } from './histogram.js';
export { StackSymbolizer, readProcessMaps, formatFrame, type Frame, type Mapping } from './stack-symbolizer.js';
export { resolveFunction, mangledPrefixes, demangle, FunctionIndex, SymbolNotFoundError } from './symbols.js';
export { GC_SYMBOLS, collectorName, reasonName, gcKind, PERF_HOOKS_GC_KIND, type GcKind } from './v8-gc.js';
