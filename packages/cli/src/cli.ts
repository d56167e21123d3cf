/** The `keelson` command line: thin wiring of the packages; every flag also reads KEELSON_<FLAG>. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { up, UsageError } from './commands/up.js';
import { registerXdsCommands } from './commands/xds-serve.js';
import { registerTraceCommands } from './commands/trace.js';
import { registerPolicyCommands } from './commands/policy.js';

function portNumber(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError(`"${v}" is not a port number (0-65535; 0 picks a free port)`);
  return Number(v);
}

export function buildCli(): Command {
  const program = new Command('keelson')
    .description('Keelson: a TypeScript control plane for cloud-native infrastructure')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('up')
    .description('start a local Kubernetes-compatible API server (HTTPS on 127.0.0.1) and write a kubeconfig')
    .addOption(new Option('--data-dir <dir>', 'where objects, certificates and the kubeconfig live').env('KEELSON_DATA_DIR').default('./.keelson'))
    .addOption(new Option('--port <port>', 'port to listen on (0 picks a free one)').env('KEELSON_PORT').default(6443).argParser(portNumber))
    .addOption(new Option('--host <host>', 'address to listen on (loopback by default)').env('KEELSON_HOST').default('127.0.0.1'))
    .addOption(new Option('--storage <kind>', 'object storage').env('KEELSON_STORAGE').choices(['sqlite', 'memory']).default('sqlite'))
    .addOption(new Option('--log-level <level>', 'server log level (logs go to stderr as JSON)').env('KEELSON_LOG_LEVEL').choices(['debug', 'info', 'warn', 'error']).default('warn'))
    .addHelpText('after', '\nExample:\n  keelson up --data-dir /tmp/k --port 0\n  KUBECONFIG=/tmp/k/kubeconfig kubectl get ns\n')
    .action(async (o) => {
      await up({ dataDir: o.dataDir, port: o.port, host: o.host, storage: o.storage, logLevel: o.logLevel });
    });
  registerXdsCommands(program);
  registerTraceCommands(program);
  registerPolicyCommands(program);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  program.exitOverride();
  // Subcommands copy settings when they are created, so each needs its own override; without it
  // commander exits the process itself with code 1 on a usage error (`up --storage etcd`).
  for (const sub of program.commands) sub.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (e.code?.startsWith('commander.')) {
      // --help, `help` and --version end here with exit code 0; usage errors with 2. A command
      // group run without its subcommand (`keelson xds`) prints its help as an error
      // ('commander.help' with exit code 1): that is a usage error too.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.help') return (e.exitCode ?? 0) === 0 ? 0 : 2;
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`keelson: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`keelson: ${e.message ?? String(err)}\n`);
    return 1;
  }
}
