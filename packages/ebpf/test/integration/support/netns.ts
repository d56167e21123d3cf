/**
 * Two network namespaces joined by a veth pair, made and removed by a test. Addresses are
 * private ones inside namespaces the test created: traffic never leaves them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface VethPair {
  nsA: string;
  nsB: string;
  /** veth end in nsA, and its address. */
  ifA: string;
  addrA: string;
  ifB: string;
  addrB: string;
  /** Deletes both namespaces (and with them the veth pair and anything attached to it). */
  remove(): void;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function mac(ns: string, dev: string): string {
  const j = JSON.parse(ip(['-n', ns, '-j', 'link', 'show', 'dev', dev])) as Array<{ address: string }>;
  return j[0].address;
}

export function createVethPair(prefix = 'kebpf'): VethPair {
  const id = randomBytes(3).toString('hex');
  const nsA = `${prefix}-a-${id}`;
  const nsB = `${prefix}-b-${id}`;
  const octet = 1 + (randomBytes(1)[0] % 250);
  const pair: VethPair = {
    nsA,
    nsB,
    ifA: 'veth-a',
    ifB: 'veth-b',
    addrA: `10.231.${octet}.1`,
    addrB: `10.231.${octet}.2`,
    remove() {
      for (const ns of [nsA, nsB]) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
    },
  };
  try {
    ip(['netns', 'add', nsA]);
    ip(['netns', 'add', nsB]);
    ip(['link', 'add', pair.ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', pair.ifB, 'netns', nsB]);
    ip(['-n', nsA, 'addr', 'add', `${pair.addrA}/24`, 'dev', pair.ifA]);
    ip(['-n', nsB, 'addr', 'add', `${pair.addrB}/24`, 'dev', pair.ifB]);
    for (const [ns, dev] of [
      [nsA, pair.ifA],
      [nsB, pair.ifB],
    ]) {
      ip(['-n', ns, 'link', 'set', dev, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // Static neighbours: no ARP round trip, so the first datagrams are not queued or dropped.
    ip(['-n', nsA, 'neigh', 'replace', pair.addrB, 'lladdr', mac(nsB, pair.ifB), 'dev', pair.ifA, 'nud', 'permanent']);
    ip(['-n', nsB, 'neigh', 'replace', pair.addrA, 'lladdr', mac(nsA, pair.ifA), 'dev', pair.ifB, 'nud', 'permanent']);
  } catch (err) {
    pair.remove();
    throw err;
  }
  return pair;
}

/** Sends `count` UDP datagrams from inside `ns` to addr:port (a node child under `ip netns exec`). */
export function sendUdp(ns: string, addr: string, port: number, count: number): void {
  const script = `
    const s = require('node:dgram').createSocket('udp4');
    let left = ${count};
    const next = () => { if (left-- === 0) return s.close(); s.send(Buffer.from('keelson'), ${port}, '${addr}', (e) => { if (e) { console.error(e.message); process.exit(1); } next(); }); };
    next();`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw new Error(`sending UDP from ${ns} failed (exit ${r.status}): ${r.stderr}`);
}
