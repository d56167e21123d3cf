/**
 * `keelson xds serve`: an xDS control plane for proxyless gRPC clients (and Envoy), serving the
 * mesh of a mesh.yaml (`--config`) or of a cluster's TrafficSplits, Services and EndpointSlices
 * (`--kubeconfig`). The config is followed as it changes; an invalid change is logged with
 * every problem while the last good mesh keeps being served. An invalid config at startup
 * exits 1 with every problem; a usage mistake exits 2.
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { destination, pino, type Logger } from 'pino';
// Types only at load time: `keelson up` must not pay for loading gRPC and the Envoy protos.
import type { KubernetesMeshSource, MeshSource } from '@keelson/xds';
import { UsageError } from './up.js';

export interface XdsServeOptions {
  /** A mesh.yaml to serve. Exactly one of config and kubeconfig. */
  config?: string;
  /** A kubeconfig whose cluster's TrafficSplits, Services and EndpointSlices make the mesh. */
  kubeconfig?: string;
  context?: string;
  /** Only this namespace's objects; default all namespaces. */
  namespace?: string;
  /** Apply the TrafficSplit CRD at startup (default true). */
  installCrd: boolean;
  host: string;
  port: number;
  debugPort?: number;
  logLevel: string;
}

function portNumber(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError(`"${v}" is not a port number (0-65535; 0 picks a free port)`);
  return Number(v);
}

/** Adds `keelson xds serve` to the program. */
export function registerXdsCommands(program: Command): void {
  const xds = program.command('xds').description('xDS control plane for proxyless gRPC clients and Envoy');
  xds
    .command('serve')
    .description('serve a mesh over xDS (ADS, State of the World and Delta) from a mesh.yaml or from a Kubernetes cluster')
    .addOption(new Option('--config <file>', 'mesh.yaml to serve; reloaded when it changes').env('KEELSON_CONFIG'))
    .addOption(new Option('--kubeconfig <path>', 'build the mesh from this cluster\'s TrafficSplits, Services and EndpointSlices').env('KEELSON_KUBECONFIG'))
    .addOption(new Option('--context <name>', 'kubeconfig context (default: its current-context)').env('KEELSON_CONTEXT'))
    .addOption(new Option('--namespace <ns>', 'only this namespace (default: all namespaces)').env('KEELSON_NAMESPACE'))
    .addOption(new Option('--no-install-crd', 'do not apply the TrafficSplit CRD at startup (it must then exist)').env('KEELSON_NO_INSTALL_CRD'))
    .addOption(new Option('--host <host>', 'address the xDS server listens on (loopback by default: the xDS hop has no TLS)').env('KEELSON_HOST').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'xDS port (0 picks a free one)').env('KEELSON_PORT').default(18000).argParser(portNumber))
    .addOption(new Option('--debug-port <port>', 'also serve /debug/xds/clients, /metrics and /healthz over HTTP on this port (0 picks a free one)').env('KEELSON_DEBUG_PORT').argParser(portNumber))
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr as JSON)').env('KEELSON_LOG_LEVEL').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  keelson xds serve --config packages/xds/examples/mesh.yaml --debug-port 18001',
        '  keelson xds serve --kubeconfig .keelson/kubeconfig --namespace default',
        '',
        'Clients: GRPC_XDS_BOOTSTRAP_CONFIG=\'{"xds_servers":[{"server_uri":"127.0.0.1:18000","channel_creds":[{"type":"insecure"}]}],"node":{"id":"me","locality":{}}}\'',
        '         then dial xds:///SERVICE',
        '',
      ].join('\n'),
    )
    .exitOverride()
    .action(async (o) => {
      await xdsServe({
        config: o.config,
        kubeconfig: o.kubeconfig,
        context: o.context,
        namespace: o.namespace,
        installCrd: o.installCrd !== false,
        host: o.host,
        port: o.port,
        debugPort: o.debugPort,
        logLevel: o.logLevel,
      });
    });
  xds.exitOverride();
}

/** Runs the control plane until SIGINT/SIGTERM. Throws UsageError for bad flags, any other error for a failed start. */
export async function xdsServe(o: XdsServeOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if ((o.config === undefined) === (o.kubeconfig === undefined)) {
    throw new UsageError(
      o.config === undefined
        ? 'nothing to serve: give --config mesh.yaml, or --kubeconfig PATH to build the mesh from a cluster'
        : 'give --config or --kubeconfig, not both: a control plane serves one source',
    );
  }
  if (o.config !== undefined && (o.context !== undefined || o.namespace !== undefined)) {
    throw new UsageError('--context and --namespace choose what to read from a cluster; they go with --kubeconfig, not --config');
  }

  // Components name themselves in child loggers ({ component: 'mesh-file-source' }, ...).
  const logger = pino({ level: o.logLevel }, destination(2));
  const stop = new AbortController();
  const onSignal = (signal: string) => () => {
    if (stop.signal.aborted) return;
    out.write(`\n${signal}: stopping...\n`);
    stop.abort(new Error(`stopped by ${signal}`));
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);

  const { MeshControlPlane, MeshFileSource } = await import('@keelson/xds');
  let kube: KubernetesMeshSource | undefined;
  try {
    let source: MeshSource;
    let sourceName: string;
    if (o.config !== undefined) {
      source = new MeshFileSource(o.config, { logger, source: o.config });
      sourceName = o.config;
    } else {
      kube = await kubernetesSource(o, logger, stop.signal);
      source = kube;
      sourceName = `${o.namespace ? `namespace ${o.namespace} of ` : ''}the cluster at ${kube.server}`;
    }
    const t0 = performance.now();
    const cp = await MeshControlPlane.start({ source, sourceName, host: o.host, port: o.port, debugPort: o.debugPort, processMetrics: true, logger, signal: stop.signal });
    const mesh = cp.servedMesh!;
    const services = mesh.spec.services.map((s) => s.name);
    const bootstrap = JSON.stringify({
      xds_servers: [{ server_uri: cp.address, channel_creds: [{ type: 'insecure' }], server_features: ['ignore_resource_deletion'] }],
      node: { id: 'my-client', locality: {} },
    });
    out.write(
      [
        `Keelson xDS server is up at ${cp.address} (${Math.round(performance.now() - t0)} ms), serving ${sourceName}: version ${mesh.version}, ${services.length} ${services.length === 1 ? 'service' : 'services'}${services.length ? ` (${services.join(', ')})` : ''}`,
        ...(cp.debug ? [`Debug: ${cp.debug.url}/debug/xds/clients, ${cp.debug.url}/metrics`] : []),
        '',
        'Point gRPC clients at it:',
        `  export GRPC_XDS_BOOTSTRAP_CONFIG='${bootstrap}'`,
        `  then dial ${services.length ? `xds:///${services[0]}` : 'xds:///SERVICE'}`,
        '',
        `Changes to ${sourceName} are served as they come; invalid ones are logged and the last good mesh stays.`,
        'Stop with Ctrl-C.',
        '',
      ].join('\n'),
    );
    // Runs until a signal, or until the source fails (the mesh would then silently go stale).
    const failed = await new Promise<unknown>((resolveWait) => {
      stop.signal.addEventListener('abort', () => resolveWait(undefined), { once: true });
      cp.done.then(
        () => resolveWait(stop.signal.aborted ? undefined : new Error(`${sourceName} stopped giving updates`)),
        (err: unknown) => resolveWait(err),
      );
    });
    await cp.stop();
    if (failed) throw failed;
    out.write('stopped\n');
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    kube?.close();
  }
}

/** The Kubernetes source for the flags, with the TrafficSplit CRD installed unless --no-install-crd. */
async function kubernetesSource(o: XdsServeOptions, logger: Logger, signal: AbortSignal): Promise<KubernetesMeshSource> {
  const { KubernetesMeshSource, installTrafficSplitCrd } = await import('@keelson/xds');
  const source = KubernetesMeshSource.fromKubeconfig({ path: resolve(o.kubeconfig!), context: o.context }, { namespace: o.namespace, logger });
  try {
    if (o.installCrd) {
      logger.info({ server: source.server }, 'installing the TrafficSplit CRD');
      await installTrafficSplitCrd(source.client, { signal });
    }
  } catch (err) {
    source.close();
    const e = err as Error;
    throw new Error(
      `cannot install the TrafficSplit CRD in the cluster at ${source.server}: ${e.message}${/ECONNREFUSED|connect/i.test(e.message) ? ' (is the API server running? `keelson up` starts one)' : ''}`,
      { cause: err },
    );
  }
  return source;
}
