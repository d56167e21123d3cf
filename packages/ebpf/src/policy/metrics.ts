/**
 * Prometheus metrics of the policy engine (prom-client). Per-rule counts live in the kernel (a
 * per-CPU array indexed by rule slot); they are read and summed over CPUs when Prometheus
 * scrapes, in the metric's collect() callback, so nothing polls the maps between scrapes. A scrape
 * costs one map lookup per rule (~1-2 µs each).
 *
 *   keelson_policy_packets_total{rule,action,direction}   packets decided by the rule
 *   keelson_policy_bytes_total{rule,action,direction}     their bytes, Ethernet header included
 *     rule="(default)": the direction's default action; rule="(reply)": replies of allowed flows
 *   keelson_policy_generation                             the rule set in force
 *   keelson_policy_rules                                  its rules
 *   keelson_policy_applies_total{result}                  ok | error (invalid or too big: not applied)
 *   keelson_policy_apply_latency_seconds                  change noticed -> enforced
 *   keelson_policy_map_write_seconds                      map updates + flip of one apply
 */
import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import type { ApplyResult, RuleCounters } from './engine.js';

export interface PolicyMetricsOptions {
  /** Default: prom-client's global registry. */
  registry?: Registry;
}

export class PolicyMetrics {
  private readonly applies: Counter<'result'>;
  private readonly latency: Histogram;
  private readonly mapWrite: Histogram;
  private readonly generation: Gauge;
  private readonly rules: Gauge;

  /** @param read the engine's counters (engine.counters.bind(engine)). */
  constructor(read: () => RuleCounters[], opts: PolicyMetricsOptions = {}) {
    const registers = [opts.registry ?? globalRegistry];
    let cached: { at: number; rows: RuleCounters[] } | undefined;
    // Both counters are collected in one scrape: read the kernel once for them.
    const rows = (): RuleCounters[] => {
      const now = performance.now();
      if (!cached || now - cached.at > 100) cached = { at: now, rows: read() };
      return cached.rows;
    };
    const labelNames = ['rule', 'action', 'direction'] as const;
    new Counter({
      name: 'keelson_policy_packets_total',
      help: 'Packets decided by each policy rule (rule="(default)": the default action; "(reply)": replies of allowed flows)',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const r of rows()) this.inc({ rule: r.rule, action: r.action, direction: r.direction }, Number(r.packets));
      },
    });
    new Counter({
      name: 'keelson_policy_bytes_total',
      help: 'Bytes (Ethernet header included) of the packets decided by each policy rule',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const r of rows()) this.inc({ rule: r.rule, action: r.action, direction: r.direction }, Number(r.bytes));
      },
    });
    this.generation = new Gauge({ name: 'keelson_policy_generation', help: 'Generation of the rule set in force (0: none yet)', registers });
    this.rules = new Gauge({ name: 'keelson_policy_rules', help: 'Rules in the rule set in force', registers });
    this.applies = new Counter({ name: 'keelson_policy_applies_total', help: 'Rule sets applied (ok) or refused (error: invalid, or too big for the maps)', labelNames: ['result'], registers });
    // Buckets from 100 µs (a map-only change) to 5 s (a 10k-rule file on a busy machine).
    const buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
    this.latency = new Histogram({ name: 'keelson_policy_apply_latency_seconds', help: 'From a rule change being noticed to the new rules deciding packets', buckets, registers });
    this.mapWrite = new Histogram({ name: 'keelson_policy_map_write_seconds', help: 'Map updates and the flip of one apply', buckets, registers });
  }

  recordApply(r: ApplyResult, latencyMs: number): void {
    this.applies.inc({ result: 'ok' });
    this.generation.set(r.generation);
    this.rules.set(r.stats.rules);
    this.latency.observe(latencyMs / 1000);
    this.mapWrite.observe(r.mapWriteMs / 1000);
  }

  recordError(): void {
    this.applies.inc({ result: 'error' });
  }
}
