// The public surface of @keelson/apiserver.
export { ApiServer, type ApiServerOptions, type StartOptions } from './server.js';
export { ensureServingCertificates, generateServingCertificates, type ServingCertificates } from './tls.js';
export { kubeconfigYaml, writeKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
export { ResourceRegistry } from './registry.js';
export { ObjectService } from './object-service.js';
export type { ResourceInfo, PrinterColumn, ScaleSubresource, TablePrinter } from './resource-info.js';
export { builtinResources } from './builtins/catalog.js';
