import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchPolicyFile, type PolicyUpdate } from '../src/policy/file-source.js';

const rules = (port: number): string => `defaultAction: deny\nrules:\n  - name: web\n    action: allow\n    protocol: tcp\n    ports: ${port}\n`;

/** Pulls updates one at a time, failing (not hanging) if one takes longer than a generous bound. */
function reader(it: AsyncGenerator<PolicyUpdate>): () => Promise<PolicyUpdate> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('no policy update within 20 s')), 20_000)));
    try {
      const r = await Promise.race([it.next(), timeout]);
      assert.equal(r.done, false, 'the stream ended');
      return r.value as PolicyUpdate;
    } finally {
      clearTimeout(timer);
    }
  };
}

test('a policy file streams its rules, then every change, and survives bad edits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-policy-'));
  const ac = new AbortController();
  let it: AsyncGenerator<PolicyUpdate> | undefined;
  try {
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, rules(80));
    it = watchPolicyFile(file, { signal: ac.signal });
    const next = reader(it);

    let u = await next();
    assert.equal(u.type, 'spec');
    assert.deepEqual(u.type === 'spec' && u.spec.rules[0].ports, { from: 80, to: 80 });

    writeFileSync(file, rules(81));
    u = await next();
    assert.deepEqual(u.type === 'spec' && u.spec.rules[0].ports, { from: 81, to: 81 });

    // A broken edit is reported with its line; the stream goes on.
    writeFileSync(file, rules(81).replace('action: allow', 'action: maybe'));
    u = await next();
    assert.equal(u.type, 'error');
    assert.match(u.type === 'error' ? u.error.message : '', /rules\.yaml:4:5: rules\[0\]\.action: "maybe" is not an action/);

    // Editors save by renaming a new file over the old one.
    writeFileSync(join(dir, '.rules.yaml.tmp'), rules(82));
    renameSync(join(dir, '.rules.yaml.tmp'), file);
    u = await next();
    assert.deepEqual(u.type === 'spec' && u.spec.rules[0].ports, { from: 82, to: 82 });

    // Other files in the directory are not the policy.
    writeFileSync(join(dir, 'other.yaml'), 'x: 1\n');
    writeFileSync(file, rules(83));
    u = await next();
    assert.deepEqual(u.type === 'spec' && u.spec.rules[0].ports, { from: 83, to: 83 });

    ac.abort();
    const end = await it.next();
    assert.equal(end.done, true, 'abort ends the stream');
  } finally {
    ac.abort();
    // Ends the generator (closing its directory watch) even when an assertion failed mid-stream.
    await it?.return(undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an edit of one rule in a long file is parsed alone; a broken edit is reported with its line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-policy-'));
  const ac = new AbortController();
  let it: AsyncGenerator<PolicyUpdate> | undefined;
  const many = (ports: number[]): string => `defaultAction: deny\nrules:\n${ports.map((p, i) => `  - name: r${i}\n    action: allow\n    protocol: udp\n    ports: ${p}\n`).join('')}`;
  try {
    const file = join(dir, 'rules.yaml');
    const ports = Array.from({ length: 40 }, (_, i) => 2000 + i);
    writeFileSync(file, many(ports));
    it = watchPolicyFile(file, { signal: ac.signal });
    const next = reader(it);

    let u = await next();
    assert.equal(u.type, 'spec');
    assert.deepEqual({ ...u.parse, ms: 0 }, { mode: 'chunks', parsed: 40, reused: 0, ms: 0 });

    ports[17] = 53;
    writeFileSync(file, many(ports));
    u = await next();
    assert.equal(u.type, 'spec');
    assert.deepEqual({ ...u.parse, ms: 0 }, { mode: 'chunks', parsed: 1, reused: 39, ms: 0 });
    assert.deepEqual(u.type === 'spec' && u.spec.rules[17].ports, { from: 53, to: 53 });
    assert.equal(u.type === 'spec' && u.spec.rules[17].origin?.line, 3 + 17 * 4);

    writeFileSync(file, many(ports).replace('ports: 53\n', 'ports: 53-52\n'));
    u = await next();
    assert.equal(u.type, 'error');
    assert.equal(u.parse?.mode, 'full');
    assert.match(u.type === 'error' ? u.error.message : '', /rules\.yaml:74:5: rules\[17\]\.ports: "53-52" runs backwards: write "52-53"/);
  } finally {
    ac.abort();
    // Ends the generator (closing its directory watch) even when an assertion failed mid-stream.
    await it?.return(undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});
