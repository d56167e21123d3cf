/**
 * apiextensions.k8s.io/v1 JSONSchemaProps: the OpenAPI v3 subset (plus Kubernetes
 * extensions) a CustomResourceDefinition's `openAPIV3Schema` can carry. Fields that the
 * apiextensions API accepts on the wire but rejects in validation (`id`, `$schema`, `$ref`,
 * `definitions`, `dependencies`, `patternProperties`, `additionalItems`, an `items` array)
 * are typed too, so that validateStructuralSchema can name them in its errors.
 *
 * @example
 * const schema: JSONSchemaProps = {
 *   type: 'object',
 *   properties: { spec: { type: 'object', properties: { replicas: { type: 'integer', minimum: 0, default: 1 } } } },
 * };
 */

/** One `x-kubernetes-validations` CEL rule. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** FieldValueInvalid (default), FieldValueForbidden, FieldValueRequired or FieldValueDuplicate. */
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export interface ExternalDocumentation {
  description?: string;
  url?: string;
}

export type JSONSchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface JSONSchemaProps {
  /** Not supported by apiextensions (rejected in validation). */
  id?: string;
  /** Not supported by apiextensions (rejected in validation). */
  $schema?: string;
  /** Not supported by apiextensions (rejected in validation). */
  $ref?: string;
  description?: string;
  /** One of JSONSchemaType; a string so that invalid schemas can be represented and reported. */
  type?: string;
  format?: string;
  title?: string;
  /** Applied by applySchemaDefaults; must validate against the schema and survive pruning. */
  default?: unknown;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  /** An ECMA-262 pattern here; upstream compiles it as Go RE2 (see validate.ts). */
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  multipleOf?: number;
  enum?: unknown[];
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  /** A single schema; the array form is rejected by apiextensions. */
  items?: JSONSchemaProps | JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: boolean | JSONSchemaProps;
  /** Not supported by apiextensions (rejected in validation). */
  patternProperties?: Record<string, JSONSchemaProps>;
  /** Not supported by apiextensions (rejected in validation). */
  dependencies?: Record<string, JSONSchemaProps | string[]>;
  /** Not supported by apiextensions (rejected in validation). */
  additionalItems?: boolean | JSONSchemaProps;
  /** Not supported by apiextensions (rejected in validation). */
  definitions?: Record<string, JSONSchemaProps>;
  externalDocs?: ExternalDocumentation;
  example?: unknown;
  nullable?: boolean;
  /** Keep fields the schema does not describe instead of pruning them. */
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  /** The value is a Kubernetes object: apiVersion and kind required, metadata kept and validated as ObjectMeta. */
  'x-kubernetes-embedded-resource'?: boolean;
  /** The value is an integer or a string (intstr.IntOrString). */
  'x-kubernetes-int-or-string'?: boolean;
  /** With list-type map: the item fields that identify an item. */
  'x-kubernetes-list-map-keys'?: string[];
  /** 'atomic' (default), 'set' (unique scalars) or 'map' (unique by x-kubernetes-list-map-keys). */
  'x-kubernetes-list-type'?: string;
  /** 'granular' (default) or 'atomic'; only server-side apply treats them differently. */
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: ValidationRule[];
}
