/** Table printers of every built-in kind Keelson serves, keyed by resource. */
export * from './common.js';
export { summarizePod, podPrinter } from './pod.js';
export {
  servicePrinter,
  servicePorts,
  endpointsPrinter,
  formatEndpoints,
  configMapPrinter,
  secretPrinter,
  serviceAccountPrinter,
  namespacePrinter,
  nodePrinter,
  eventPrinter,
} from './core.js';
export { deploymentPrinter, statefulSetPrinter, replicaSetPrinter, daemonSetPrinter } from './apps.js';
export {
  leasePrinter,
  endpointSlicePrinter,
  customResourceDefinitionPrinter,
  createdAtTablePrinter,
  defaultTablePrinter,
} from './other.js';
