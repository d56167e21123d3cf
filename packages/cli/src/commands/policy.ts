/**
 * `keelson policy`: the eBPF L4 policy engine on one interface.
 *   run     attach to the interface and enforce rules from a YAML file (reloaded on change) or from
 *           L4Policy objects of a cluster, until Ctrl-C; metrics on --metrics-port
 *   apply   enforce a rules file and exit: the programs and maps stay pinned in bpffs, and the next
 *           apply on the interface rewrites only the maps
 *   show    the applied rules and their packet/byte counters
 *   delete  detach an applied policy and remove its pins
 *   check   validate and compile a rules file without touching the kernel
 *   crd     print the L4Policy CustomResourceDefinition (kubectl apply -f -)
 * An invalid rules file at startup exits 1 with every problem (file:line and the fix); later
 * invalid edits are logged and the last good rules stay in force. Usage mistakes exit 2.
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { destination, pino } from 'pino';
import type { PolicyUpdate } from '@keelson/ebpf';
import { UsageError } from './up.js';

export interface PolicyRunOptions {
  interface: string;
  netns?: string;
  rules?: string;
  kubeconfig?: string;
  context?: string;
  xdp?: 'auto' | 'native' | 'generic';
  tcMode: 'auto' | 'tcx' | 'clsact';
  metricsHost: string;
  metricsPort?: number;
  logLevel: string;
}

function portNumber(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError(`"${v}" is not a port number (0-65535; 0 picks a free port)`);
  return Number(v);
}

export async function policyRun(o: PolicyRunOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if ((o.rules === undefined) === (o.kubeconfig === undefined)) {
    throw new UsageError(o.rules === undefined ? 'no rules: give --rules rules.yaml, or --kubeconfig PATH to enforce the cluster\'s L4Policy objects' : 'give --rules or --kubeconfig, not both');
  }
  if (o.context !== undefined && o.kubeconfig === undefined) throw new UsageError('--context goes with --kubeconfig');
  const ebpf = await import('@keelson/ebpf');
  if (ebpf.pinnedPolicyExists({ interface: o.interface, netns: o.netns })) {
    throw new Error(`a policy applied with \`keelson policy apply\` guards ${o.interface} already: remove it with \`keelson policy delete --interface ${o.interface}${o.netns ? ` --netns ${o.netns}` : ''}\`, or update it with apply`);
  }
  const logger = pino({ level: o.logLevel, base: { component: 'keelson-policy' } }, destination(2));
  const stop = new AbortController();
  const onSignal = (signal: string) => () => {
    if (stop.signal.aborted) return;
    out.write(`\n${signal}: stopping (the programs detach)...\n`);
    stop.abort();
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);

  // The first rule set is checked before anything is attached: a typo must not leave the
  // interface with a half-configured filter.
  let updates: AsyncGenerator<PolicyUpdate>;
  let sourceName: string;
  let shutdownSource = async (): Promise<void> => {};
  if (o.rules !== undefined) {
    const file = resolve(o.rules);
    sourceName = file;
    updates = ebpf.watchPolicyFile(file, { signal: stop.signal });
  } else {
    const [{ Client }, { SharedInformerFactory }] = await Promise.all([import('@keelson/client'), import('@keelson/informer')]);
    const client = Client.fromKubeconfig({ path: resolve(o.kubeconfig as string), context: o.context });
    try {
      await client.apiextensionsV1.customResourceDefinitions().get(ebpf.l4PolicyCrd.metadata.name, { signal: stop.signal });
    } catch (err) {
      client.close();
      throw new Error(`cannot use L4Policy objects from the cluster: ${(err as Error).message}. Install the CRD with \`keelson policy crd | kubectl apply -f -\``, { cause: err });
    }
    const factory = new SharedInformerFactory(client, { logger });
    const informer = factory.forResource(ebpf.L4_POLICY_GVR);
    await factory.start(stop.signal);
    sourceName = `L4Policy objects of the cluster in ${o.kubeconfig}`;
    updates = ebpf.watchL4Policies(informer, { interface: o.interface, signal: stop.signal });
    shutdownSource = async () => {
      await factory.shutdown();
      client.close();
    };
  }

  try {
    const first = await updates.next();
    if (first.done) return;
    if (first.value.type === 'error') throw first.value.error;
    const engine = await ebpf.PolicyEngine.load();
    let metricsServer: Awaited<ReturnType<typeof ebpf.serveMetrics>> | undefined;
    try {
      // prom-client's global registry: this process serves nothing else.
      const metrics = new ebpf.PolicyMetrics(() => engine.counters());
      const r = engine.apply(first.value.spec);
      metrics.recordApply(r, performance.now() - first.value.detectedAt);
      engine.attach({ interface: o.interface, netns: o.netns, xdp: o.xdp ?? false, tcMode: o.tcMode });
      if (o.metricsPort !== undefined) {
        try {
          metricsServer = await ebpf.serveMetrics({ host: o.metricsHost, port: o.metricsPort });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${o.metricsPort} on ${o.metricsHost} is in use: pass another --metrics-port (0 picks a free one)`);
          throw err;
        }
      }
      const where = `${o.interface}${o.netns ? ` (netns ${o.netns})` : ''}`;
      out.write(
        [
          `Keelson policy enforces ${r.stats.rules} rules on ${where}: ${o.xdp ? `ingress in XDP (${o.xdp})` : 'ingress in TC'}, egress in TC; default ingress ${first.value.spec.defaultAction.ingress}, egress ${first.value.spec.defaultAction.egress}.`,
          `Rules from ${sourceName}; changes apply as map updates, invalid ones are logged and the last good rules stay.`,
          ...(metricsServer ? [`Metrics: ${metricsServer.url}/metrics`] : []),
          'Stop with Ctrl-C (the programs detach).',
          '',
        ].join('\n'),
      );
      await ebpf.runPolicy(engine, updates, { logger, metrics });
    } finally {
      await metricsServer?.close();
      engine.close();
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    // Ends the source: its file watcher or informer would otherwise keep the process alive.
    stop.abort();
    await updates.return(undefined);
    await shutdownSource();
  }
  out.write('stopped\n');
}

export interface PolicyTargetOptions {
  interface: string;
  netns?: string;
}

export async function policyApply(o: PolicyTargetOptions & { rules: string; xdp?: 'auto' | 'native' | 'generic'; tcMode: 'auto' | 'tcx' | 'clsact' }, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { applyPinnedPolicy, readPolicyFile } = await import('@keelson/ebpf');
  const spec = readPolicyFile(resolve(o.rules));
  const r = await applyPinnedPolicy(spec, { interface: o.interface, netns: o.netns, xdp: o.xdp ?? false, tcMode: o.tcMode });
  const where = `${o.interface}${o.netns ? ` (netns ${o.netns})` : ''}`;
  out.write(
    r.created
      ? `policy applied to ${where}: ${r.result.stats.rules} rules, generation ${r.result.generation}; programs attached and pinned at ${r.dir}\n`
      : `policy on ${where} updated: ${r.result.stats.rules} rules, generation ${r.result.generation}, ${r.result.updates + r.result.deletes} map writes in ${(r.result.mapWriteMs * 1000).toFixed(0)} µs\n`,
  );
}

export async function policyShow(o: PolicyTargetOptions & { output: 'table' | 'json' }, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { openPinnedPolicy, describeRule } = await import('@keelson/ebpf');
  const engine = openPinnedPolicy(o);
  try {
    const counters = engine.counters();
    if (o.output === 'json') {
      out.write(JSON.stringify({ generation: engine.generation, counters: counters.map((c) => ({ ...c, packets: Number(c.packets), bytes: Number(c.bytes) })) }, null, 2) + '\n');
      return;
    }
    const rules = new Map((engine.current?.rules ?? []).map((r) => [r.name, r]));
    const rows = counters.map((c) => [c.rule, c.direction, c.action, String(c.packets), String(c.bytes), rules.has(c.rule) ? describeRule(rules.get(c.rule)!) : '']);
    const header = ['RULE', 'DIRECTION', 'ACTION', 'PACKETS', 'BYTES', 'MATCHES'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [header, ...rows]) out.write(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
  } finally {
    engine.close();
  }
}

export async function policyDelete(o: PolicyTargetOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { deletePinnedPolicy } = await import('@keelson/ebpf');
  const where = `${o.interface}${o.netns ? ` (netns ${o.netns})` : ''}`;
  if (!deletePinnedPolicy(o)) throw new UsageError(`no policy applied on ${where}: nothing to delete`);
  out.write(`policy on ${where} detached and removed\n`);
}

export async function policyCheck(rules: string, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { readPolicyFile, compilePolicy, describeRule } = await import('@keelson/ebpf');
  const spec = readPolicyFile(resolve(rules));
  const slots = new Map(spec.rules.map((r, i) => [r.name, 8 + i]));
  const t0 = performance.now();
  const c = compilePolicy(spec, (n) => slots.get(n) as number);
  const compileMs = performance.now() - t0;
  out.write(`${rules}: ${spec.rules.length} rules; default ingress ${spec.defaultAction.ingress}, egress ${spec.defaultAction.egress}\n`);
  for (const r of spec.rules) out.write(`  ${r.name}: ${describeRule(r)}\n`);
  out.write(`compiles to ${c.stats.addrEntries} CIDR entries, ${c.stats.classes} address classes and ${c.stats.portEntries} port entries in ${compileMs.toFixed(1)} ms\n`);
}

/** Adds `keelson policy run|apply|show|delete|check|crd`. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('L4 allow/deny policy in eBPF (TC and XDP) on a network interface');
  policy
    .command('run')
    .description('enforce rules on an interface until Ctrl-C: from a YAML file (reloaded on change) or from L4Policy objects (needs root)')
    .addOption(new Option('--interface <name>', 'the interface to guard').env('KEELSON_INTERFACE').makeOptionMandatory())
    .addOption(new Option('--netns <name>', 'network namespace of the interface (a name from `ip netns` or a path)').env('KEELSON_NETNS'))
    .addOption(new Option('--rules <file>', 'rules YAML; reloaded when it changes').env('KEELSON_RULES'))
    .addOption(new Option('--kubeconfig <path>', 'enforce the L4Policy objects of this cluster (for this interface, or for all)').env('KEELSON_KUBECONFIG'))
    .addOption(new Option('--context <name>', 'kubeconfig context').env('KEELSON_CONTEXT'))
    .addOption(new Option('--xdp [mode]', 'enforce ingress in XDP: native, generic or auto (default auto)').env('KEELSON_XDP').choices(['auto', 'native', 'generic']).preset('auto'))
    .addOption(new Option('--tc-mode <mode>', 'TC attachment: tcx links (Linux >= 6.6) or classic clsact').env('KEELSON_TC_MODE').choices(['auto', 'tcx', 'clsact']).default('auto'))
    .addOption(new Option('--metrics-port <port>', 'serve /metrics and /healthz on this port (0 picks a free one)').env('KEELSON_METRICS_PORT').argParser(portNumber))
    .addOption(new Option('--metrics-host <host>', 'address for the metrics port').env('KEELSON_METRICS_HOST').default('127.0.0.1'))
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr as JSON)').env('KEELSON_LOG_LEVEL').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  keelson policy run --interface eth0 --rules rules.yaml --metrics-port 9464',
        '  keelson policy run --interface veth1 --netns blue --rules rules.yaml --xdp native',
        '  keelson policy run --interface eth0 --kubeconfig .keelson/kubeconfig',
        '',
        'rules.yaml:',
        '  defaultAction: deny            # or {ingress: deny, egress: allow}',
        '  rules:',
        '    - name: web',
        '      priority: 100              # lower wins; ties: deny wins',
        '      action: allow',
        '      cidr: 10.0.0.0/8           # the remote peer',
        '      protocol: tcp              # tcp | udp | icmp | any',
        '      ports: "8000-8100"',
        '      direction: ingress         # or egress',
        '',
      ].join('\n'),
    )
    .exitOverride()
    .action(async (o) => {
      await policyRun({
        interface: o.interface,
        netns: o.netns,
        rules: o.rules,
        kubeconfig: o.kubeconfig,
        context: o.context,
        xdp: o.xdp,
        tcMode: o.tcMode,
        metricsHost: o.metricsHost,
        metricsPort: o.metricsPort,
        logLevel: o.logLevel,
      });
    });
  const target = (c: Command): Command =>
    c
      .addOption(new Option('--interface <name>', 'the interface').env('KEELSON_INTERFACE').makeOptionMandatory())
      .addOption(new Option('--netns <name>', 'network namespace of the interface (a name from `ip netns`)').env('KEELSON_NETNS'));
  target(policy.command('apply').description('enforce a rules file on an interface and exit; the programs stay attached (pinned in bpffs) until `policy delete` (needs root)'))
    .addOption(new Option('--rules <file>', 'rules YAML').env('KEELSON_RULES').makeOptionMandatory())
    .addOption(new Option('--xdp [mode]', 'enforce ingress in XDP: native, generic or auto (default auto); fixed by the first apply').env('KEELSON_XDP').choices(['auto', 'native', 'generic']).preset('auto'))
    .addOption(new Option('--tc-mode <mode>', 'TC attachment, by the first apply').env('KEELSON_TC_MODE').choices(['auto', 'tcx', 'clsact']).default('auto'))
    .addHelpText('after', '\nExample:\n  keelson policy apply --interface eth0 --rules rules.yaml\n  keelson policy show --interface eth0\n  keelson policy delete --interface eth0\n')
    .exitOverride()
    .action(async (o) => {
      await policyApply({ interface: o.interface, netns: o.netns, rules: o.rules, xdp: o.xdp, tcMode: o.tcMode });
    });
  target(policy.command('show').description('the rules applied to an interface with their packet and byte counters'))
    .addOption(new Option('--output <format>', 'table or json').env('KEELSON_OUTPUT').choices(['table', 'json']).default('table'))
    .exitOverride()
    .action(async (o) => {
      await policyShow({ interface: o.interface, netns: o.netns, output: o.output });
    });
  target(policy.command('delete').description('detach the policy applied to an interface and remove its pins'))
    .exitOverride()
    .action(async (o) => {
      await policyDelete({ interface: o.interface, netns: o.netns });
    });
  policy
    .command('check')
    .description('validate and compile a rules file (no kernel, no root)')
    .addOption(new Option('--rules <file>', 'rules YAML').env('KEELSON_RULES').makeOptionMandatory())
    .exitOverride()
    .action(async (o) => {
      await policyCheck(o.rules);
    });
  policy
    .command('crd')
    .description('print the L4Policy CustomResourceDefinition, for `kubectl apply -f -`')
    .exitOverride()
    .action(async () => {
      const { l4PolicyCrd } = await import('@keelson/ebpf');
      process.stdout.write(JSON.stringify(l4PolicyCrd, null, 2) + '\n');
    });
  policy.exitOverride();
}
