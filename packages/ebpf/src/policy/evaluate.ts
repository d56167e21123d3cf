/**
 * The policy's meaning as a linear scan: which rule decides a packet, or the default. The kernel
 * never runs this (it does two lookups); tests compare the compiled maps and the BPF program
 * against it, and `keelson policy explain`-style tools can use it to answer "why".
 */
import { cidrContains } from './cidr.js';
import { precedenceOrder } from './compile.js';
import { PROTO } from './maps.js';
import type { Action, Direction, PolicyRule, PolicySpec } from './rules.js';

export interface PacketInfo {
  direction: Direction;
  family: 4 | 6;
  /** The remote peer: source on ingress, destination on egress (16 bytes, IPv4 in 0..3). */
  remote: Uint8Array;
  /** IP protocol number. */
  proto: number;
  /** Destination port; undefined when the packet has none (not TCP/UDP, or a later fragment). */
  port?: number;
}

export interface Decision {
  action: Action;
  /** The deciding rule; undefined = the default action. */
  rule?: PolicyRule;
}

function ruleMatches(r: PolicyRule, p: PacketInfo): boolean {
  if (r.direction !== p.direction) return false;
  if (r.cidr && !cidrContains(r.cidr, { family: p.family, addr: p.remote, prefixLen: p.family === 4 ? 32 : 128 })) return false;
  const tcpUdp = p.proto === PROTO.TCP || p.proto === PROTO.UDP;
  switch (r.protocol) {
    case 'tcp':
      if (p.proto !== PROTO.TCP) return false;
      break;
    case 'udp':
      if (p.proto !== PROTO.UDP) return false;
      break;
    case 'icmp':
      return p.proto === PROTO.ICMP || p.proto === PROTO.ICMPV6;
    case 'any':
      if (r.ports && !tcpUdp) return false;
      break;
  }
  if (!r.ports) return true;
  // Without a port (a later fragment) only a rule covering every port can match.
  if (p.port === undefined) return r.ports.from === 0 && r.ports.to === 65535;
  return p.port >= r.ports.from && p.port <= r.ports.to;
}

export function evaluatePolicy(spec: PolicySpec, p: PacketInfo): Decision {
  for (const { rule } of precedenceOrder(spec.rules)) {
    if (ruleMatches(rule, p)) return { action: rule.action, rule };
  }
  return { action: spec.defaultAction[p.direction] };
}
