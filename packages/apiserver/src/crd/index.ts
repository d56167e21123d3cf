/** CustomResourceDefinitions: what a CRD serves, its printers, and its validation. */
export { resourcesFromCrd, crdTablePrinter, selectableFieldKeys, CUSTOM_RESOURCE_VERBS } from './resources-from-crd.js';
export { validateCrd, defaultCustomResourceDefinition } from './validate-crd.js';
