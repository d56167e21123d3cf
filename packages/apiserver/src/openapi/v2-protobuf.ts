/**
 * Swagger 2.0 JSON ↔ gnostic `openapi.v2.Document` protobuf, the body of `GET /openapi/v2`.
 *
 * client-go always asks for and decodes the protobuf form (`discovery_client.go`
 * `OpenAPISchema`: `proto.Unmarshal` into gnostic's `openapi_v2.Document`, whatever the
 * response Content-Type). kube-apiserver builds it with gnostic's compiler, which stores every
 * free-form value (vendor extensions, `default`, `example`, `enum` entries) as
 * `Any{yaml: "<the value as YAML>"}`; kubectl reads the extensions back by YAML-decoding that
 * string (kubectl `util/openapi/openapi.go`, kube-openapi `util/proto`).
 *
 * The message layout below is written from the field numbers of gnostic's
 * `openapiv2/OpenAPIv2.proto` (the wire format); names are ours, in camelCase so that a field
 * name is also its JSON key. JSON keys the format cannot carry raise an error, as gnostic's
 * compiler rejects them: build the document with v2.ts, which strips v3-only keywords.
 */
import protobuf from 'protobufjs';
import YAML from 'yaml';
import type { JsonObject } from './schema-object.js';

/** The Content-Type kube-apiserver answers with (a dot, not an '@': Go's MIME parser rejects the '@' form). */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
/** What client-go puts in Accept (the deprecated '@' spelling first). */
export const OPENAPI_V2_PROTOBUF_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

type Scalar = 'string' | 'bool' | 'double' | 'int64' | 'bytes';
/** [field name (= JSON key), field number, type, repeated?] */
type FieldRow = [string, number, string, boolean?];

const R = true;
const EXT = (id: number): FieldRow => ['vendorExtension', id, 'NamedAny', R];

/** The sub-schema layout shared by PrimitivesItems and Header (fields 1–17). */
const PRIMITIVE_FIELDS: FieldRow[] = [
  ['type', 1, 'string'], ['format', 2, 'string'], ['items', 3, 'PrimitivesItems'], ['collectionFormat', 4, 'string'],
  ['default', 5, 'Any'], ['maximum', 6, 'double'], ['exclusiveMaximum', 7, 'bool'], ['minimum', 8, 'double'],
  ['exclusiveMinimum', 9, 'bool'], ['maxLength', 10, 'int64'], ['minLength', 11, 'int64'], ['pattern', 12, 'string'],
  ['maxItems', 13, 'int64'], ['minItems', 14, 'int64'], ['uniqueItems', 15, 'bool'], ['enum', 16, 'Any', R],
  ['multipleOf', 17, 'double'],
];
/** Path and header parameters: required, in, description, name, then the primitive fields from 5. */
const SIMPLE_PARAMETER_FIELDS: FieldRow[] = [
  ['required', 1, 'bool'], ['in', 2, 'string'], ['description', 3, 'string'], ['name', 4, 'string'],
  ...PRIMITIVE_FIELDS.map(([n, id, t, r]): FieldRow => [n, id + 4, t, r]),
  EXT(22),
];
/** Query and form parameters: like path parameters with allowEmptyValue at 5, so everything after moves by one. */
const QUERY_PARAMETER_FIELDS: FieldRow[] = [
  ['required', 1, 'bool'], ['in', 2, 'string'], ['description', 3, 'string'], ['name', 4, 'string'],
  ['allowEmptyValue', 5, 'bool'],
  ...PRIMITIVE_FIELDS.map(([n, id, t, r]): FieldRow => [n, id + 5, t, r]),
  EXT(23),
];
const OAUTH2_BASE: FieldRow[] = [['type', 1, 'string'], ['flow', 2, 'string'], ['scopes', 3, 'Oauth2Scopes']];

const MESSAGES: Record<string, FieldRow[]> = {
  AdditionalPropertiesItem: [['schema', 1, 'Schema'], ['boolean', 2, 'bool']],
  Any: [['value', 1, 'ProtoAny'], ['yaml', 2, 'string']],
  ProtoAny: [['typeUrl', 1, 'string'], ['value', 2, 'bytes']],
  ApiKeySecurity: [['type', 1, 'string'], ['name', 2, 'string'], ['in', 3, 'string'], ['description', 4, 'string'], EXT(5)],
  BasicAuthenticationSecurity: [['type', 1, 'string'], ['description', 2, 'string'], EXT(3)],
  BodyParameter: [
    ['description', 1, 'string'], ['name', 2, 'string'], ['in', 3, 'string'], ['required', 4, 'bool'],
    ['schema', 5, 'Schema'], EXT(6),
  ],
  Contact: [['name', 1, 'string'], ['url', 2, 'string'], ['email', 3, 'string'], EXT(4)],
  Default: [['additionalProperties', 1, 'NamedAny', R]],
  Definitions: [['additionalProperties', 1, 'NamedSchema', R]],
  Document: [
    ['swagger', 1, 'string'], ['info', 2, 'Info'], ['host', 3, 'string'], ['basePath', 4, 'string'],
    ['schemes', 5, 'string', R], ['consumes', 6, 'string', R], ['produces', 7, 'string', R], ['paths', 8, 'Paths'],
    ['definitions', 9, 'Definitions'], ['parameters', 10, 'ParameterDefinitions'], ['responses', 11, 'ResponseDefinitions'],
    ['security', 12, 'SecurityRequirement', R], ['securityDefinitions', 13, 'SecurityDefinitions'], ['tags', 14, 'Tag', R],
    ['externalDocs', 15, 'ExternalDocs'], EXT(16),
  ],
  Examples: [['additionalProperties', 1, 'NamedAny', R]],
  ExternalDocs: [['description', 1, 'string'], ['url', 2, 'string'], EXT(3)],
  FileSchema: [
    ['format', 1, 'string'], ['title', 2, 'string'], ['description', 3, 'string'], ['default', 4, 'Any'],
    ['required', 5, 'string', R], ['type', 6, 'string'], ['readOnly', 7, 'bool'], ['externalDocs', 8, 'ExternalDocs'],
    ['example', 9, 'Any'], EXT(10),
  ],
  FormDataParameterSubSchema: QUERY_PARAMETER_FIELDS,
  Header: [...PRIMITIVE_FIELDS, ['description', 18, 'string'], EXT(19)],
  HeaderParameterSubSchema: SIMPLE_PARAMETER_FIELDS,
  Headers: [['additionalProperties', 1, 'NamedHeader', R]],
  Info: [
    ['title', 1, 'string'], ['version', 2, 'string'], ['description', 3, 'string'], ['termsOfService', 4, 'string'],
    ['contact', 5, 'Contact'], ['license', 6, 'License'], EXT(7),
  ],
  ItemsItem: [['schema', 1, 'Schema', R]],
  JsonReference: [['$ref', 1, 'string'], ['description', 2, 'string']],
  License: [['name', 1, 'string'], ['url', 2, 'string'], EXT(3)],
  NamedAny: [['name', 1, 'string'], ['value', 2, 'Any']],
  NamedHeader: [['name', 1, 'string'], ['value', 2, 'Header']],
  NamedParameter: [['name', 1, 'string'], ['value', 2, 'Parameter']],
  NamedPathItem: [['name', 1, 'string'], ['value', 2, 'PathItem']],
  NamedResponse: [['name', 1, 'string'], ['value', 2, 'Response']],
  NamedResponseValue: [['name', 1, 'string'], ['value', 2, 'ResponseValue']],
  NamedSchema: [['name', 1, 'string'], ['value', 2, 'Schema']],
  NamedSecurityDefinitionsItem: [['name', 1, 'string'], ['value', 2, 'SecurityDefinitionsItem']],
  NamedString: [['name', 1, 'string'], ['value', 2, 'string']],
  NamedStringArray: [['name', 1, 'string'], ['value', 2, 'StringArray']],
  NonBodyParameter: [
    ['headerParameterSubSchema', 1, 'HeaderParameterSubSchema'], ['formDataParameterSubSchema', 2, 'FormDataParameterSubSchema'],
    ['queryParameterSubSchema', 3, 'QueryParameterSubSchema'], ['pathParameterSubSchema', 4, 'PathParameterSubSchema'],
  ],
  Oauth2AccessCodeSecurity: [...OAUTH2_BASE, ['authorizationUrl', 4, 'string'], ['tokenUrl', 5, 'string'], ['description', 6, 'string'], EXT(7)],
  Oauth2ApplicationSecurity: [...OAUTH2_BASE, ['tokenUrl', 4, 'string'], ['description', 5, 'string'], EXT(6)],
  Oauth2ImplicitSecurity: [...OAUTH2_BASE, ['authorizationUrl', 4, 'string'], ['description', 5, 'string'], EXT(6)],
  Oauth2PasswordSecurity: [...OAUTH2_BASE, ['tokenUrl', 4, 'string'], ['description', 5, 'string'], EXT(6)],
  Oauth2Scopes: [['additionalProperties', 1, 'NamedString', R]],
  Operation: [
    ['tags', 1, 'string', R], ['summary', 2, 'string'], ['description', 3, 'string'], ['externalDocs', 4, 'ExternalDocs'],
    ['operationId', 5, 'string'], ['produces', 6, 'string', R], ['consumes', 7, 'string', R],
    ['parameters', 8, 'ParametersItem', R], ['responses', 9, 'Responses'], ['schemes', 10, 'string', R],
    ['deprecated', 11, 'bool'], ['security', 12, 'SecurityRequirement', R], EXT(13),
  ],
  Parameter: [['bodyParameter', 1, 'BodyParameter'], ['nonBodyParameter', 2, 'NonBodyParameter']],
  ParameterDefinitions: [['additionalProperties', 1, 'NamedParameter', R]],
  ParametersItem: [['parameter', 1, 'Parameter'], ['jsonReference', 2, 'JsonReference']],
  PathItem: [
    ['$ref', 1, 'string'], ['get', 2, 'Operation'], ['put', 3, 'Operation'], ['post', 4, 'Operation'],
    ['delete', 5, 'Operation'], ['options', 6, 'Operation'], ['head', 7, 'Operation'], ['patch', 8, 'Operation'],
    ['parameters', 9, 'ParametersItem', R], EXT(10),
  ],
  PathParameterSubSchema: SIMPLE_PARAMETER_FIELDS,
  Paths: [EXT(1), ['path', 2, 'NamedPathItem', R]],
  PrimitivesItems: [...PRIMITIVE_FIELDS, EXT(18)],
  Properties: [['additionalProperties', 1, 'NamedSchema', R]],
  QueryParameterSubSchema: QUERY_PARAMETER_FIELDS,
  Response: [
    ['description', 1, 'string'], ['schema', 2, 'SchemaItem'], ['headers', 3, 'Headers'], ['examples', 4, 'Examples'], EXT(5),
  ],
  ResponseDefinitions: [['additionalProperties', 1, 'NamedResponse', R]],
  ResponseValue: [['response', 1, 'Response'], ['jsonReference', 2, 'JsonReference']],
  Responses: [['responseCode', 1, 'NamedResponseValue', R], EXT(2)],
  Schema: [
    ['$ref', 1, 'string'], ['format', 2, 'string'], ['title', 3, 'string'], ['description', 4, 'string'],
    ['default', 5, 'Any'], ['multipleOf', 6, 'double'], ['maximum', 7, 'double'], ['exclusiveMaximum', 8, 'bool'],
    ['minimum', 9, 'double'], ['exclusiveMinimum', 10, 'bool'], ['maxLength', 11, 'int64'], ['minLength', 12, 'int64'],
    ['pattern', 13, 'string'], ['maxItems', 14, 'int64'], ['minItems', 15, 'int64'], ['uniqueItems', 16, 'bool'],
    ['maxProperties', 17, 'int64'], ['minProperties', 18, 'int64'], ['required', 19, 'string', R], ['enum', 20, 'Any', R],
    ['additionalProperties', 21, 'AdditionalPropertiesItem'], ['type', 22, 'TypeItem'], ['items', 23, 'ItemsItem'],
    ['allOf', 24, 'Schema', R], ['properties', 25, 'Properties'], ['discriminator', 26, 'string'], ['readOnly', 27, 'bool'],
    ['xml', 28, 'Xml'], ['externalDocs', 29, 'ExternalDocs'], ['example', 30, 'Any'], EXT(31),
  ],
  SchemaItem: [['schema', 1, 'Schema'], ['fileSchema', 2, 'FileSchema']],
  SecurityDefinitions: [['additionalProperties', 1, 'NamedSecurityDefinitionsItem', R]],
  SecurityDefinitionsItem: [
    ['basicAuthenticationSecurity', 1, 'BasicAuthenticationSecurity'], ['apiKeySecurity', 2, 'ApiKeySecurity'],
    ['oauth2ImplicitSecurity', 3, 'Oauth2ImplicitSecurity'], ['oauth2PasswordSecurity', 4, 'Oauth2PasswordSecurity'],
    ['oauth2ApplicationSecurity', 5, 'Oauth2ApplicationSecurity'], ['oauth2AccessCodeSecurity', 6, 'Oauth2AccessCodeSecurity'],
  ],
  SecurityRequirement: [['additionalProperties', 1, 'NamedStringArray', R]],
  StringArray: [['value', 1, 'string', R]],
  Tag: [['name', 1, 'string'], ['description', 2, 'string'], ['externalDocs', 3, 'ExternalDocs'], EXT(4)],
  TypeItem: [['value', 1, 'string', R]],
  VendorExtension: [['additionalProperties', 1, 'NamedAny', R]],
  Xml: [
    ['name', 1, 'string'], ['namespace', 2, 'string'], ['prefix', 3, 'string'], ['attribute', 4, 'bool'],
    ['wrapped', 5, 'bool'], EXT(6),
  ],
};

/** protobufjs field names must be identifiers; '$ref' is stored as 'ref'. */
const protoName = (jsonName: string) => (jsonName === '$ref' ? 'ref' : jsonName);

let cachedRoot: protobuf.Root | undefined;
function root(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const nested: Record<string, { fields: Record<string, { type: string; id: number; rule?: string }> }> = {};
  for (const [name, rows] of Object.entries(MESSAGES)) {
    const fields: Record<string, { type: string; id: number; rule?: string }> = {};
    for (const [field, id, type, repeated] of rows) {
      fields[protoName(field)] = repeated ? { type, id, rule: 'repeated' } : { type, id };
    }
    nested[name] = { fields };
  }
  cachedRoot = protobuf.Root.fromJSON({ nested: { openapi: { nested: { v2: { nested } } } } });
  return cachedRoot;
}

function messageType(name: string): protobuf.Type {
  return root().lookupType(`openapi.v2.${name}`);
}

const SCALARS = new Set<string>(['string', 'bool', 'double', 'int64', 'bytes'] satisfies Scalar[]);

function fail(path: string, what: string): never {
  throw new Error(`cannot encode OpenAPI v2 document: ${what} at ${path || '/'}`);
}

function isPlainObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Any free-form value as gnostic stores it: its YAML text. Written as YAML 1.1 because the
 * readers (gopkg.in/yaml.v2 in kube-openapi) are YAML 1.1: a bare `on` or `no` would come back
 * as a boolean, so such strings must be quoted.
 */
function toAny(value: unknown): JsonObject {
  return { yaml: YAML.stringify(value, { version: '1.1' }) };
}

function namedList(valueType: string, json: unknown, path: string): JsonObject[] {
  if (!isPlainObject(json)) fail(path, 'expected an object');
  return Object.entries(json).map(([name, v]) => ({ name, value: fromJson(valueType, v, `${path}/${name}`) }));
}

function scalarFromJson(type: string, v: unknown, path: string): unknown {
  switch (type) {
    case 'string':
      if (typeof v !== 'string') fail(path, `expected a string, got ${JSON.stringify(v)}`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') fail(path, `expected a boolean, got ${JSON.stringify(v)}`);
      return v;
    case 'double':
    case 'int64':
      if (typeof v !== 'number') fail(path, `expected a number, got ${JSON.stringify(v)}`);
      return v;
    default:
      return fail(path, `unsupported scalar type ${type}`);
  }
}

/** JSON (Swagger 2.0) → a plain object protobufjs's `fromObject` takes for message `type`. */
function fromJson(type: string, json: unknown, path: string): unknown {
  switch (type) {
    case 'Any':
      return toAny(json);
    case 'Definitions':
    case 'Properties':
      return { additionalProperties: namedList('Schema', json, path) };
    case 'ParameterDefinitions':
      return { additionalProperties: namedList('Parameter', json, path) };
    case 'ResponseDefinitions':
      return { additionalProperties: namedList('Response', json, path) };
    case 'SecurityDefinitions':
      return { additionalProperties: namedList('SecurityDefinitionsItem', json, path) };
    case 'Headers':
      return { additionalProperties: namedList('Header', json, path) };
    case 'Examples':
    case 'Default':
    case 'VendorExtension':
      return { additionalProperties: namedList('Any', json, path) };
    case 'Oauth2Scopes':
      return { additionalProperties: namedList('string', json, path) };
    case 'SecurityRequirement':
      return { additionalProperties: namedList('StringArray', json, path) };
    case 'StringArray':
      if (!Array.isArray(json)) fail(path, 'expected an array of strings');
      return { value: json.map((v, i) => scalarFromJson('string', v, `${path}/${i}`)) };
    case 'Paths': {
      if (!isPlainObject(json)) fail(path, 'expected an object');
      const out: JsonObject = { vendorExtension: [], path: [] };
      for (const [k, v] of Object.entries(json)) {
        if (k.startsWith('x-')) out.vendorExtension.push({ name: k, value: toAny(v) });
        else out.path.push({ name: k, value: fromJson('PathItem', v, `${path}/${k}`) });
      }
      return out;
    }
    case 'Responses': {
      if (!isPlainObject(json)) fail(path, 'expected an object');
      const out: JsonObject = { responseCode: [], vendorExtension: [] };
      for (const [k, v] of Object.entries(json)) {
        if (k.startsWith('x-')) out.vendorExtension.push({ name: k, value: toAny(v) });
        else out.responseCode.push({ name: k, value: fromJson('ResponseValue', v, `${path}/${k}`) });
      }
      return out;
    }
    case 'TypeItem':
      if (typeof json === 'string') return { value: [json] };
      if (Array.isArray(json)) return { value: json.map((v, i) => scalarFromJson('string', v, `${path}/${i}`)) };
      return fail(path, 'expected a type name or a list of them');
    case 'ItemsItem':
      if (Array.isArray(json)) return { schema: json.map((v, i) => fromJson('Schema', v, `${path}/${i}`)) };
      return { schema: [fromJson('Schema', json, path)] };
    case 'AdditionalPropertiesItem':
      if (typeof json === 'boolean') return { boolean: json };
      return { schema: fromJson('Schema', json, path) };
    case 'ParametersItem':
      if (isPlainObject(json) && typeof json.$ref === 'string') return { jsonReference: fromJson('JsonReference', json, path) };
      return { parameter: fromJson('Parameter', json, path) };
    case 'Parameter':
      if (isPlainObject(json) && json.in === 'body') return { bodyParameter: fromJson('BodyParameter', json, path) };
      return { nonBodyParameter: fromJson('NonBodyParameter', json, path) };
    case 'NonBodyParameter': {
      if (!isPlainObject(json)) fail(path, 'expected a parameter object');
      const field = { header: 'headerParameterSubSchema', formData: 'formDataParameterSubSchema', query: 'queryParameterSubSchema', path: 'pathParameterSubSchema' }[json.in as string];
      if (!field) fail(path, `unknown parameter location ${JSON.stringify(json.in)}`);
      return { [field]: fromJson(field[0].toUpperCase() + field.slice(1), json, path) };
    }
    case 'ResponseValue':
      if (isPlainObject(json) && typeof json.$ref === 'string') return { jsonReference: fromJson('JsonReference', json, path) };
      return { response: fromJson('Response', json, path) };
    case 'SchemaItem':
      if (isPlainObject(json) && json.type === 'file') return { fileSchema: fromJson('FileSchema', json, path) };
      return { schema: fromJson('Schema', json, path) };
    case 'SecurityDefinitionsItem': {
      if (!isPlainObject(json)) fail(path, 'expected a security definition');
      const byFlow: Record<string, string> = {
        implicit: 'Oauth2ImplicitSecurity', password: 'Oauth2PasswordSecurity',
        application: 'Oauth2ApplicationSecurity', accessCode: 'Oauth2AccessCodeSecurity',
      };
      const t = json.type === 'basic' ? 'BasicAuthenticationSecurity'
        : json.type === 'apiKey' ? 'ApiKeySecurity'
        : json.type === 'oauth2' ? byFlow[json.flow as string] : undefined;
      if (!t) fail(path, `unknown security definition type ${JSON.stringify(json.type)}`);
      return { [t[0].toLowerCase() + t.slice(1)]: fromJson(t, json, path) };
    }
  }
  if (SCALARS.has(type)) return scalarFromJson(type, json, path);
  const rows = MESSAGES[type];
  if (!rows) return fail(path, `unknown message ${type}`);
  if (!isPlainObject(json)) fail(path, `expected an object for ${type}`);
  const byJson = new Map(rows.map((r) => [r[0], r]));
  const hasExtensions = byJson.has('vendorExtension');
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(json)) {
    if (v === undefined) continue;
    if (k.startsWith('x-') && hasExtensions) {
      (out.vendorExtension ??= []).push({ name: k, value: toAny(v) });
      continue;
    }
    const row = byJson.get(k);
    if (!row || k === 'vendorExtension') fail(`${path}/${k}`, `"${k}" is not a field of ${type}`);
    const [, , fieldType, repeated] = row;
    if (repeated) {
      if (!Array.isArray(v)) fail(`${path}/${k}`, 'expected an array');
      out[protoName(k)] = v.map((e, i) => fromJson(fieldType, e, `${path}/${k}/${i}`));
    } else {
      out[protoName(k)] = fromJson(fieldType, v, `${path}/${k}`);
    }
  }
  return out;
}

/**
 * Encodes a Swagger 2.0 document (from `buildOpenApiV2`) as gnostic's `openapi.v2.Document`.
 * Throws, naming the JSON path, on anything the format cannot carry.
 */
export function encodeOpenApiV2Protobuf(doc: object): Uint8Array {
  const Document = messageType('Document');
  const plain = fromJson('Document', doc, '') as JsonObject;
  return Document.encode(Document.fromObject(plain)).finish();
}

function fromAny(any: JsonObject | undefined): unknown {
  if (!any) return undefined;
  if (typeof any.yaml === 'string') return YAML.parse(any.yaml, { version: '1.1' });
  return undefined;
}

function namedToJson(valueType: string, list: JsonObject[] | undefined): JsonObject {
  const out: JsonObject = {};
  for (const e of list ?? []) out[e.name] = toJson(valueType, e.value);
  return out;
}

/** The mirror of `fromJson`: protobufjs plain object of `type` → Swagger 2.0 JSON. */
function toJson(type: string, m: any): unknown {
  switch (type) {
    case 'Any':
      return fromAny(m);
    case 'Definitions':
    case 'Properties':
      return namedToJson('Schema', m.additionalProperties);
    case 'ParameterDefinitions':
      return namedToJson('Parameter', m.additionalProperties);
    case 'ResponseDefinitions':
      return namedToJson('Response', m.additionalProperties);
    case 'SecurityDefinitions':
      return namedToJson('SecurityDefinitionsItem', m.additionalProperties);
    case 'Headers':
      return namedToJson('Header', m.additionalProperties);
    case 'Examples':
    case 'Default':
    case 'VendorExtension':
      return namedToJson('Any', m.additionalProperties);
    case 'Oauth2Scopes':
      return namedToJson('string', m.additionalProperties);
    case 'SecurityRequirement':
      return namedToJson('StringArray', m.additionalProperties);
    case 'StringArray':
      return [...(m.value ?? [])];
    case 'Paths':
      return { ...namedToJson('PathItem', m.path), ...namedToJson('Any', m.vendorExtension) };
    case 'Responses':
      return { ...namedToJson('ResponseValue', m.responseCode), ...namedToJson('Any', m.vendorExtension) };
    case 'TypeItem': {
      const v: string[] = m.value ?? [];
      return v.length === 1 ? v[0] : v;
    }
    case 'ItemsItem': {
      const v: unknown[] = (m.schema ?? []).map((s: unknown) => toJson('Schema', s));
      return v.length === 1 ? v[0] : v;
    }
    case 'AdditionalPropertiesItem':
      return m.schema !== undefined ? toJson('Schema', m.schema) : m.boolean;
  }
  const rows = MESSAGES[type];
  if (!rows) return m;
  // Messages that are a oneof: the one field that is set.
  if (['ParametersItem', 'Parameter', 'NonBodyParameter', 'ResponseValue', 'SchemaItem', 'SecurityDefinitionsItem'].includes(type)) {
    for (const [field, , fieldType] of rows) if (m[protoName(field)] !== undefined) return toJson(fieldType, m[protoName(field)]);
    return {};
  }
  const out: JsonObject = {};
  for (const [field, , fieldType, repeated] of rows) {
    const v = m[protoName(field)];
    if (v === undefined) continue;
    if (field === 'vendorExtension') {
      Object.assign(out, namedToJson('Any', v));
      continue;
    }
    if (SCALARS.has(fieldType)) out[field] = repeated ? [...v] : v;
    else out[field] = repeated ? v.map((e: unknown) => toJson(fieldType, e)) : toJson(fieldType, v);
  }
  return out;
}

/** Decodes a gnostic `openapi.v2.Document` back to Swagger 2.0 JSON (for tests and debugging). */
export function decodeOpenApiV2Protobuf(bytes: Uint8Array): object {
  const Document = messageType('Document');
  const message = Document.decode(bytes);
  const plain = Document.toObject(message, { longs: Number, bytes: String, defaults: false, arrays: false });
  return toJson('Document', plain) as object;
}
