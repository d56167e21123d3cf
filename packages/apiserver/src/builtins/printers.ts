/**
 * Table printers of the built-in kinds (one module per kind group under printers/), re-exported
 * so callers can import `builtins/printers.js`.
 */
export * from './printers/index.js';
