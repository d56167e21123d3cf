// Server-side apply's field ownership: paths, FieldsV1 sets, type trees, merge and managedFields.
export * from './path.js';
export * from './field-set.js';
export * from './type-tree.js';
export * from './builtin-types.js';
export * from './typed.js';
export * from './managed-fields.js';
export * from './updater.js';
