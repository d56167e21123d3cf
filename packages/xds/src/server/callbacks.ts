/**
 * Hooks into the server's life (go-control-plane's `server.Callbacks`). All optional. A request
 * hook that throws closes that stream with the error (as a Go callback returning an error does);
 * the others are observers, and what they throw is logged and ignored.
 *
 * ```ts
 * new AdsServer({ cache, callbacks: {
 *   onStreamOpen: (id, typeUrl) => log.info({ id, typeUrl }, 'stream open'),
 *   onNack: (id, node, nack) => alert(`${node.id} rejected ${nack.typeUrl}: ${nack.message}`),
 * } });
 * ```
 */
import type { Node } from '../cache/cache.js';
import type { Resource } from '../cache/resource.js';
import type { StreamMode } from '../metrics.js';

/** A decoded `DiscoveryRequest` (keepCase; defaults filled). */
export interface DiscoveryRequest {
  version_info: string;
  node: Node | null;
  /** Long lists are interned and frozen (proto/name-lists.ts): read them, never change them. */
  resource_names: readonly string[];
  type_url: string;
  response_nonce: string;
  error_detail: { code: number; message: string } | null;
}

/** A decoded `DeltaDiscoveryRequest` (keepCase; defaults filled). */
export interface DeltaDiscoveryRequest {
  node: Node | null;
  type_url: string;
  /** Long lists are interned and frozen (proto/name-lists.ts). */
  resource_names_subscribe: readonly string[];
  resource_names_unsubscribe: readonly string[];
  initial_resource_versions: Readonly<Record<string, string>>;
  response_nonce: string;
  error_detail: { code: number; message: string } | null;
}

/** What a SotW response carried (the bytes are built from these). */
export interface DiscoveryResponseInfo {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: readonly Resource[];
}

/** What a Delta response carried. */
export interface DeltaDiscoveryResponseInfo {
  system_version_info: string;
  type_url: string;
  nonce: string;
  resources: readonly Resource[];
  removed_resources: readonly string[];
}

/** A client rejecting a response. */
export interface NackInfo {
  mode: StreamMode;
  typeUrl: string;
  nonce: string;
  /** What the client keeps using. */
  versionInfo: string;
  message: string;
  /** The resources the rejection was attributed to. */
  resources: string[];
}

export interface ServerCallbacks {
  /** A SotW stream opened; `typeUrl` is '' for ADS, else the per-type service's type. Throw to refuse it. */
  onStreamOpen?(streamId: number, typeUrl: string): void;
  onStreamClosed?(streamId: number, node: Node | undefined): void;
  /** Every SotW request, before it is processed. Throw to close the stream with that error. */
  onStreamRequest?(streamId: number, request: DiscoveryRequest): void;
  onStreamResponse?(streamId: number, request: DiscoveryRequest | undefined, response: DiscoveryResponseInfo): void;
  onDeltaStreamOpen?(streamId: number, typeUrl: string): void;
  onDeltaStreamClosed?(streamId: number, node: Node | undefined): void;
  /** Every Delta request, before it is processed. Throw to close the stream with that error. */
  onStreamDeltaRequest?(streamId: number, request: DeltaDiscoveryRequest): void;
  onStreamDeltaResponse?(streamId: number, request: DeltaDiscoveryRequest | undefined, response: DeltaDiscoveryResponseInfo): void;
  /** A client NACKed a response (SotW or Delta). */
  onNack?(streamId: number, node: Node | undefined, nack: NackInfo): void;
  /** A unary Fetch* request (per-type services). Throw to fail it. */
  onFetchRequest?(request: DiscoveryRequest): void;
  onFetchResponse?(request: DiscoveryRequest, response: DiscoveryResponseInfo): void;
}
