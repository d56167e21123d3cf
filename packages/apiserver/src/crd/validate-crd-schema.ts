/**
 * The schema half of apiextensions CRD validation (validateCustomResourceDefinitionValidation):
 * what may sit at the root of a schema when the status subresource is on, `nullable` at the root,
 * and then apimachinery's validateOpenAPIV3Schema (the generic OpenAPI checks, the
 * structural-schema rules and the defaults). CEL rules are only checked for shape.
 */
import { fieldForbidden, fieldInvalid, validateOpenAPIV3Schema, type FieldError, type JSONSchemaProps } from '@keelson/apimachinery';

export interface SchemaValidationOptions {
  /** Errors the stored CRD already had at the same place; tolerated on update so upgrades never strand a CRD. */
  tolerated?: Set<string>;
}

/**
 * JSONSchemaProps fields in the Go struct's order, with their JSON names and Go names. The root
 * check walks them in this order and reports the first offender, as upstream does.
 */
const ROOT_FIELDS: Array<[json: string, goName: string, kind: 'string' | 'bool' | 'present']> = [
  ['id', 'ID', 'string'],
  ['$schema', 'Schema', 'string'],
  ['$ref', 'Ref', 'present'],
  ['description', 'Description', 'string'],
  ['type', 'Type', 'string'],
  ['nullable', 'Nullable', 'bool'],
  ['format', 'Format', 'string'],
  ['title', 'Title', 'string'],
  ['default', 'Default', 'present'],
  ['maximum', 'Maximum', 'present'],
  ['exclusiveMaximum', 'ExclusiveMaximum', 'bool'],
  ['minimum', 'Minimum', 'present'],
  ['exclusiveMinimum', 'ExclusiveMinimum', 'bool'],
  ['maxLength', 'MaxLength', 'present'],
  ['minLength', 'MinLength', 'present'],
  ['pattern', 'Pattern', 'string'],
  ['maxItems', 'MaxItems', 'present'],
  ['minItems', 'MinItems', 'present'],
  ['uniqueItems', 'UniqueItems', 'bool'],
  ['multipleOf', 'MultipleOf', 'present'],
  ['enum', 'Enum', 'present'],
  ['maxProperties', 'MaxProperties', 'present'],
  ['minProperties', 'MinProperties', 'present'],
  ['required', 'Required', 'present'],
  ['items', 'Items', 'present'],
  ['allOf', 'AllOf', 'present'],
  ['oneOf', 'OneOf', 'present'],
  ['anyOf', 'AnyOf', 'present'],
  ['not', 'Not', 'present'],
  ['properties', 'Properties', 'present'],
  ['additionalProperties', 'AdditionalProperties', 'present'],
  ['patternProperties', 'PatternProperties', 'present'],
  ['dependencies', 'Dependencies', 'present'],
  ['additionalItems', 'AdditionalItems', 'present'],
  ['definitions', 'Definitions', 'present'],
  ['externalDocs', 'ExternalDocs', 'present'],
  ['example', 'Example', 'present'],
  ['x-kubernetes-preserve-unknown-fields', 'XPreserveUnknownFields', 'present'],
  ['x-kubernetes-embedded-resource', 'XEmbeddedResource', 'bool'],
  ['x-kubernetes-int-or-string', 'XIntOrString', 'bool'],
  ['x-kubernetes-list-map-keys', 'XListMapKeys', 'present'],
  ['x-kubernetes-list-type', 'XListType', 'present'],
  ['x-kubernetes-map-type', 'XMapType', 'present'],
  ['x-kubernetes-validations', 'XValidations', 'present'],
];

const ALLOWED_AT_ROOT_WITH_STATUS = [
  'Description', 'Type', 'Format', 'Title', 'Maximum', 'ExclusiveMaximum', 'Minimum', 'ExclusiveMinimum', 'MaxLength', 'MinLength',
  'Pattern', 'MaxItems', 'MinItems', 'UniqueItems', 'MultipleOf', 'Required', 'Items', 'Properties', 'ExternalDocs', 'Example',
  'XPreserveUnknownFields', 'XValidations',
];

function isSet(schema: any, json: string, kind: 'string' | 'bool' | 'present'): boolean {
  const v = schema[json];
  if (kind === 'string') return typeof v === 'string' && v !== '';
  if (kind === 'bool') return v === true;
  return v !== undefined && v !== null;
}

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** SchemaHas: does `pred` hold anywhere in `s`? */
export function schemaHas(s: unknown, pred: (s: Record<string, any>) => boolean): boolean {
  if (!isObj(s)) return false;
  if (pred(s)) return true;
  const kids: unknown[] = [];
  if (Array.isArray(s.items)) kids.push(...s.items);
  else kids.push(s.items);
  for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k])) kids.push(...s[k]);
  kids.push(s.not, s.additionalProperties, s.additionalItems);
  for (const k of ['properties', 'patternProperties', 'definitions', 'dependencies']) if (isObj(s[k])) kids.push(...Object.values(s[k]));
  return kids.some((k) => schemaHas(k, pred));
}

export const schemaHasDefaults = (s: unknown): boolean => schemaHas(s, (x) => x.default !== undefined);

/**
 * validateCustomResourceDefinitionValidation for one CustomResourceValidation ({openAPIV3Schema})
 * at `path` ("spec.validation" or "spec.versions[i].schema").
 */
export function validateCrdSchema(validation: unknown, statusEnabled: boolean, opts: SchemaValidationOptions, path: string): FieldError[] {
  if (!isObj(validation)) return [];
  const schema = validation.openAPIV3Schema;
  if (!isObj(schema)) return [];
  const schemaPath = `${path}.openAPIV3Schema`;
  const errs: FieldError[] = [];

  if (statusEnabled) {
    // Status is validated with properties["status"] alone, so only keywords that survive that
    // split may sit at the root.
    for (const [json, goName, kind] of ROOT_FIELDS) {
      if (!isSet(schema, json, kind)) continue;
      if (goName === 'Type') {
        if (schema.type !== 'object') {
          errs.push(fieldInvalid(`${schemaPath}.type`, schema.type, 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled'));
          break;
        }
        continue;
      }
      if (!ALLOWED_AT_ROOT_WITH_STATUS.includes(goName)) {
        errs.push(
          fieldInvalid(schemaPath, schema, `only [${ALLOWED_AT_ROOT_WITH_STATUS.join(' ')}] fields are allowed at the root of the schema if the status subresource is enabled`),
        );
        break;
      }
    }
  }

  if (schema.nullable === true) errs.push(fieldForbidden(`${schemaPath}.nullable`, 'nullable cannot be true at the root'));

  errs.push(...validateOpenAPIV3Schema(schema as JSONSchemaProps, schemaPath));
  const tolerated = opts.tolerated;
  return tolerated ? errs.filter((e) => !tolerated.has(errorKey(e))) : errs;
}

/** Identity of an error for comparing the new and the stored CRD. */
export const errorKey = (e: FieldError): string => `${e.type}\u0000${e.field}\u0000${e.detail ?? ''}`;

/**
 * cel.ValidFieldPath without array notation: resolves ".spec.color" or ".spec['a.b']" in a
 * structural schema. Returns the path's segments and the schema found, or an error text.
 */
export function resolveFieldPath(jsonPath: string, schema: unknown): { segments: string[]; schema: Record<string, any> } | { error: string } {
  if (jsonPath.length === 0) return { error: 'must not be empty' };
  let cur: unknown = schema;
  const segments: string[] = [];
  // Tokens: '.', '[', ']' and the text between them; quoted keys keep their dots.
  const tokens: string[] = [];
  for (let i = 0; i < jsonPath.length; ) {
    const c = jsonPath[i];
    if (c === '.' || c === ']') {
      tokens.push(c);
      i++;
    } else if (c === '[') {
      tokens.push('[');
      const close = jsonPath.indexOf(']', jsonPath[i + 1] === "'" ? jsonPath.indexOf("'", i + 2) : i);
      const end = close < 0 ? jsonPath.length : close;
      if (end > i + 1) tokens.push(jsonPath.slice(i + 1, end));
      i = end;
    } else {
      let j = i;
      while (j < jsonPath.length && !'.[]'.includes(jsonPath[j])) j++;
      tokens.push(jsonPath.slice(i, j));
      i = j;
    }
  }
  const step = (name: string): string | undefined => {
    if (!isObj(cur)) return 'does not refer to a valid field';
    if (isObj(cur.properties)) {
      if (!isObj(cur.properties[name])) return 'does not refer to a valid field';
      cur = cur.properties[name];
    } else if (isObj(cur.additionalProperties)) {
      cur = cur.additionalProperties;
    } else {
      return 'does not refer to a valid field';
    }
    segments.push(name);
    return undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (tok === '.') {
      const name = tokens[++i];
      if (name === undefined || name === '.' || name === '[' || name === ']') return { error: 'unexpected end of JSON path' };
      const err = step(name);
      if (err) return { error: err };
    } else if (tok === '[') {
      const inner = tokens[++i];
      if (inner === undefined) return { error: 'unexpected end of JSON path' };
      if (inner.length < 2 || !inner.startsWith("'") || !inner.endsWith("'")) return { error: 'array notation is not allowed' };
      if (tokens[++i] !== ']') return { error: 'unexpected end of JSON path' };
      const err = step(inner.slice(1, -1));
      if (err) return { error: err };
    } else {
      return { error: `expected [ or . but got: ${tok}` };
    }
  }
  return isObj(cur) ? { segments, schema: cur } : { error: 'does not refer to a valid field' };
}
