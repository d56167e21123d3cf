/**
 * What the server asks of a cache (go-control-plane's `cache.ConfigWatcher`, reshaped): the
 * resources it holds for a node now, and a watch that says which resources changed. The server
 * keeps the protocol (subscriptions, nonces, what each client holds) and computes responses from
 * these two; the cache only knows resources.
 *
 * Unlike go-control-plane, a watch is not a one-shot response channel: it stays open and reports
 * changes, and the stream computes its response when it can write. A stream that falls behind
 * (slow client, backpressure) sends one response built from the latest state, never a queue of
 * superseded versions, and one watch serves SotW and Delta streams alike.
 */
import type { TypeResources } from './snapshot.js';

/** The `envoy.config.core.v3.Node` a client sends in its first request (keepCase fields). */
export interface Node {
  id: string;
  cluster?: string;
  locality?: { region?: string; zone?: string; sub_zone?: string };
  metadata?: Record<string, unknown>;
  user_agent_name?: string;
  user_agent_version?: string;
  client_features?: string[];
  [field: string]: unknown;
}

/** Maps a node to the key its snapshot is stored under (go-control-plane's `NodeHash`). */
export type NodeHash = (node: Node) => string;

/** The default NodeHash: the node's id (go-control-plane's `IDHash`). */
export const idHash: NodeHash = (node) => node.id;

/** Resources of one type that changed: names added, modified or removed, or 'all' of them. */
export interface ChangeSet {
  typeUrl: string;
  names: ReadonlySet<string> | 'all';
}

/** Called synchronously from inside the cache update that caused it; must not throw or block. */
export type WatchCallback = (changes: readonly ChangeSet[]) => void;

export type CancelWatch = () => void;

export interface Cache {
  /** The resources of `typeUrl` visible to `node`, or undefined when the cache has none for it yet (requests then wait). */
  getResources(node: Node, typeUrl: string): TypeResources | undefined;
  /** Reports every later change visible to `node` until cancelled. */
  createWatch(node: Node, onChange: WatchCallback): CancelWatch;
}
