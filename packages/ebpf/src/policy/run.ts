/**
 * The engine's main loop: apply each rule set a source yields (a YAML file, L4Policy objects),
 * keep the last good one when a source yields an error, until the source ends or is aborted.
 *
 * ```ts
 * await runPolicy(engine, watchPolicyFile('rules.yaml', { signal }), { logger });
 * ```
 */
import type { Logger } from 'pino';
import type { ApplyResult, PolicyEngine } from './engine.js';
import type { PolicyUpdate } from './file-source.js';
import type { PolicyMetrics } from './metrics.js';

export interface RunPolicyOptions {
  logger?: Logger;
  metrics?: PolicyMetrics;
  /** After each successful apply, with the time from the change being noticed to the flip (ms). */
  onApplied?: (result: ApplyResult, update: PolicyUpdate & { type: 'spec' }, latencyMs: number) => void;
  /** For each refused rule set (invalid, or too big for the maps). */
  onError?: (error: Error, update: PolicyUpdate) => void;
}

export async function runPolicy(engine: PolicyEngine, updates: AsyncIterable<PolicyUpdate>, opts: RunPolicyOptions = {}): Promise<void> {
  const log = opts.logger?.child({ component: 'policy' });
  for await (const u of updates) {
    if (u.type === 'error') {
      opts.metrics?.recordError();
      log?.error({ source: u.source, issues: u.error.issues.length }, `policy not applied, keeping generation ${engine.generation}: ${u.error.message}`);
      opts.onError?.(u.error, u);
      continue;
    }
    let r: ApplyResult;
    try {
      r = engine.apply(u.spec);
    } catch (err) {
      opts.metrics?.recordError();
      log?.error({ source: u.source, err }, `policy not applied, keeping generation ${engine.generation}: ${(err as Error).message}`);
      opts.onError?.(err as Error, u);
      continue;
    }
    const latencyMs = performance.now() - u.detectedAt;
    opts.metrics?.recordApply(r, latencyMs);
    // How the source parsed it (a YAML file: rules parsed and reused, or why the whole file was).
    const parse = u.parse && { parseMode: u.parse.mode, rulesParsed: u.parse.parsed, rulesReused: u.parse.reused, parseMs: round(u.parse.ms), ...(u.parse.fallback ? { parseFallback: u.parse.fallback } : {}) };
    log?.info(
      { source: u.source, generation: r.generation, rules: r.stats.rules, updates: r.updates, deletes: r.deletes, ...parse, compileMs: round(r.compileMs), mapWriteMs: round(r.mapWriteMs), latencyMs: round(latencyMs) },
      `policy generation ${r.generation} in force: ${r.stats.rules} rules`,
    );
    opts.onApplied?.(r, u, latencyMs);
  }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
