/** Discovery documents: the legacy per-group forms and aggregated discovery (apidiscovery.k8s.io/v2). */
export * from './legacy.js';
export * from './aggregated.js';
export { compareKubeAwareVersions, orderedGroups } from './ordering.js';
export { storageVersionHash, subresourcesOf } from './subresources.js';
