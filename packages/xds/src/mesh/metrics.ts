/**
 * Metrics of the config sources, registered once per prom-client Registry (the global one
 * unless a source is given another). Labelled by `source` (`file`, `kubernetes`), so one
 * dashboard covers both: how often the mesh changed, how often config was refused, and how
 * much of it is refused right now (alert on `mesh_config_rejected > 0`).
 */
import { Counter, Gauge, register, type Registry } from 'prom-client';

export interface MeshSourceMetrics {
  /** mesh_config_updates_total: specs handed out (one per new version). */
  updatesTotal: Counter<'source'>;
  /** mesh_config_rejections_total: configs (a file, a TrafficSplit change) refused; the last good stays. */
  rejectionsTotal: Counter<'source'>;
  /** mesh_config_rejected: problems refused in the current state (0 when all config is applied as written). */
  rejected: Gauge<'source'>;
  /** mesh_config_last_update_timestamp_seconds: when the served spec last changed. */
  lastUpdate: Gauge<'source'>;
}

const byRegistry = new WeakMap<Registry, MeshSourceMetrics>();

export function meshSourceMetrics(registry: Registry = register): MeshSourceMetrics {
  let m = byRegistry.get(registry);
  if (!m) {
    const registers = [registry];
    m = {
      updatesTotal: new Counter({ name: 'mesh_config_updates_total', help: 'Mesh specs a config source handed out (one per new version).', labelNames: ['source'], registers }),
      rejectionsTotal: new Counter({ name: 'mesh_config_rejections_total', help: 'Configs a source refused; the last good spec stayed.', labelNames: ['source'], registers }),
      rejected: new Gauge({ name: 'mesh_config_rejected', help: 'Problems refused in the current config (0: everything applied as written).', labelNames: ['source'], registers }),
      lastUpdate: new Gauge({ name: 'mesh_config_last_update_timestamp_seconds', help: 'When the served mesh spec last changed.', labelNames: ['source'], registers }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}
