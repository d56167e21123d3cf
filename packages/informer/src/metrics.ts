/**
 * Prometheus metrics of reflectors, queues and handlers. Names are client-go's where the concept
 * is theirs (`reflector_*` from the reflector metrics provider, `informer_queued_items` and
 * `informer_processing_latency_seconds` from client-go's FIFO metrics), so existing dashboards
 * work; the rest use the same prefixes. Every series is labelled by `name`: the informer's name
 * (`v1/pods`, `apps/v1/deployments ns=prod`), plus `handler` for per-handler series.
 *
 * Metrics register once per prom-client Registry (the global `register` unless an informer is
 * given another), so any number of informers share them.
 *
 * ```ts
 * import { register } from 'prom-client';
 * http.createServer(async (_req, res) => res.end(await register.metrics()));
 * ```
 */
import { Counter, Gauge, Histogram, register, type Registry } from 'prom-client';

export interface InformerMetrics {
  /** reflector_lists_total: LISTs the reflectors started (one per full list, not per page). */
  listsTotal: Counter<'name'>;
  /** reflector_list_duration_seconds: from the first page requested to the last one received. */
  listDuration: Histogram<'name'>;
  /** reflector_items_per_list. */
  itemsPerList: Histogram<'name'>;
  /** reflector_watchLists_total: streaming lists (WatchList) started, client-go's spelling. */
  watchListsTotal: Counter<'name'>;
  /** reflector_watches_total: watch requests started. */
  watchesTotal: Counter<'name'>;
  /** reflector_short_watches_total: watches that ended within a second without any event. */
  shortWatchesTotal: Counter<'name'>;
  /** reflector_watch_duration_seconds. */
  watchDuration: Histogram<'name'>;
  /** reflector_items_per_watch: events (bookmarks included) one watch delivered. */
  itemsPerWatch: Histogram<'name'>;
  /** reflector_last_resource_version: when resourceVersions are numeric (they are opaque by contract). */
  lastResourceVersion: Gauge<'name'>;
  /** reflector_relists_total{reason}: full relists after the first list (expired, error, watchlist-fallback). */
  relistsTotal: Counter<'name' | 'reason'>;
  /** reflector_watch_errors_total{reason}: list and watch failures, by Status reason or Network/Inactivity/ShortWatch. */
  watchErrorsTotal: Counter<'name' | 'reason'>;
  /** informer_queued_items: keys waiting in the DeltaFIFO. */
  queuedItems: Gauge<'name'>;
  /** informer_processing_latency_seconds: time to apply one popped key to the cache and handler buffers. */
  processingLatency: Histogram<'name'>;
  /** informer_handler_buffered_events: notifications waiting in one handler's buffer. */
  handlerBuffered: Gauge<'name' | 'handler'>;
  /** informer_handler_lag_seconds: from a notification entering a handler's buffer to the handler being called. */
  handlerLag: Histogram<'name' | 'handler'>;
  /** informer_handler_errors_total: handler calls that threw or rejected. */
  handlerErrors: Counter<'name' | 'handler'>;
}

const byRegistry = new WeakMap<Registry, InformerMetrics>();

const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const COUNT_BUCKETS = [0, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

/** The informer metrics registered in `registry` (created on first use). */
export function informerMetrics(registry: Registry = register): InformerMetrics {
  let m = byRegistry.get(registry);
  if (m) return m;
  const registers = [registry];
  // Another copy of this package may have registered the same names: share its metrics.
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> =>
    (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> =>
    (registry.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram({ name, help, labelNames, buckets, registers });
  m = {
    listsTotal: counter('reflector_lists_total', 'Total number of API lists done by the reflectors', ['name']),
    listDuration: histogram('reflector_list_duration_seconds', 'How long an API list takes to return and decode for the reflectors', ['name'], LATENCY_BUCKETS),
    itemsPerList: histogram('reflector_items_per_list', 'How many items an API list returns to the reflectors', ['name'], COUNT_BUCKETS),
    watchListsTotal: counter('reflector_watchLists_total', 'Total number of streaming lists (WatchList) done by the reflectors', ['name']),
    watchesTotal: counter('reflector_watches_total', 'Total number of API watches done by the reflectors', ['name']),
    shortWatchesTotal: counter('reflector_short_watches_total', 'Total number of short API watches done by the reflectors', ['name']),
    watchDuration: histogram('reflector_watch_duration_seconds', 'How long an API watch takes to return and decode for the reflectors', ['name'], [0.1, 1, 10, 60, 300, 600, 1800, 3600]),
    itemsPerWatch: histogram('reflector_items_per_watch', 'How many items an API watch returns to the reflectors', ['name'], COUNT_BUCKETS),
    lastResourceVersion: gauge('reflector_last_resource_version', 'Last resource version seen for the reflectors', ['name']),
    relistsTotal: counter('reflector_relists_total', 'Full relists after the first list, by reason', ['name', 'reason']),
    watchErrorsTotal: counter('reflector_watch_errors_total', 'List and watch failures of the reflectors, by reason', ['name', 'reason']),
    queuedItems: gauge('informer_queued_items', 'Number of items currently queued in the FIFO', ['name']),
    processingLatency: histogram('informer_processing_latency_seconds', 'Time taken to process events after popping from the queue', ['name'], LATENCY_BUCKETS),
    handlerBuffered: gauge('informer_handler_buffered_events', 'Notifications waiting in an event handler buffer', ['name', 'handler']),
    handlerLag: histogram('informer_handler_lag_seconds', 'Time from a notification entering a handler buffer to the handler being called', ['name', 'handler'], LATENCY_BUCKETS),
    handlerErrors: counter('informer_handler_errors_total', 'Event handler calls that threw or rejected', ['name', 'handler']),
  };
  byRegistry.set(registry, m);
  return m;
}
