// The public surface of @keelson/client: kubeconfig loading, the transport (rate limits,
// retries, credentials), typed and dynamic clients, watch decoding, discovery and REST mapping.
export * from './types.js';
export * from './errors.js';
export * from './rest-config.js';
export * from './kubeconfig.js';
export * from './in-cluster.js';
export * from './client-node.js';
export * from './credentials.js';
export * from './clock.js';
export * from './rate-limiter.js';
export * from './retry.js';
export * from './proxy-agent.js';
export * from './transport.js';
export * from './line-splitter.js';
export * from './watch-decoder.js';
export * from './pager.js';
export * from './resource-client.js';
export * from './discovery.js';
export * from './rest-mapper.js';
export * from './typed.js';
export * from './client.js';
export * from './page-request.js';
