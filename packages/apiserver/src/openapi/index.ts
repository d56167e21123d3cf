// OpenAPI documents served at /openapi/v2 (Swagger 2.0, as gnostic protobuf) and /openapi/v3
// (an index plus one OpenAPI 3.0 document per group-version), built from the ResourceInfo list.
export * from './v3.js';
export * from './v2.js';
export * from './v2-protobuf.js';
export { publishCrdSchema } from './kind-schema.js';
export { advertisedPatchTypes } from './operations.js';
export { kindDefinitionName, listDefinitionName, openApiV3PathKey } from './names.js';
