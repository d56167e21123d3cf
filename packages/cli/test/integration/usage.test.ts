// Exit codes of the keelson command itself (STYLE.md: 0 success, 1 failure, 2 usage error): help
// asked for is a success; a command group without its subcommand, or an unknown flag, is a usage
// error that shows what to type instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot, run } from './harness.js';

const keelson = (...args: string[]): ReturnType<typeof run> =>
  run(process.execPath, ['--conditions=keelson-source', '--import', 'tsx', join(repoRoot, 'packages/cli/src/bin/keelson.ts'), ...args], { cwd: repoRoot, timeoutMs: 30_000 });

test('help and --version exit 0; a group without its subcommand and an unknown flag exit 2 with usage', async () => {
  for (const args of [['--help'], ['xds', '--help'], ['help', 'policy'], ['--version']]) {
    const r = await keelson(...args);
    assert.equal(r.code, 0, `keelson ${args.join(' ')}: ${r.stderr}`);
  }
  for (const group of ['xds', 'policy', 'trace']) {
    const r = await keelson(group);
    assert.equal(r.code, 2, `keelson ${group} alone is a usage error`);
    assert.match(r.stderr, new RegExp(`Usage: keelson ${group} \\[options\\] \\[command\\]`));
    assert.match(r.stderr, /Commands:/, 'and names the subcommands');
  }
  const r = await keelson('xds', 'serve', '--bogus');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--bogus'/);
});
