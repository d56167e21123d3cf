/**
 * The schema of one kind and of its list kind, as published in `/openapi/v3` and `/openapi/v2`.
 *
 * Custom resources: the CRD's structural schema converted the way apiextensions-apiserver's
 * OpenAPI builder publishes it (`buildKubeNative`): `x-kubernetes-int-or-string` unfolded into
 * `anyOf`, `metadata` replaced by a `$ref` to ObjectMeta, `apiVersion`/`kind` described,
 * embedded resources given their TypeMeta/ObjectMeta; for v2 additionally what
 * `ToStructuralOpenAPIV2` strips (junctors, `nullable`, the insides of
 * `x-kubernetes-preserve-unknown-fields` nodes, defaults), so that kubectl's v2 parser and
 * client-side validator accept it.
 *
 * Built-in kinds: we carry no upstream schema, so a built-in gets `ResourceInfo.openapiSchema`
 * when one is given, else a minimal schema: its description, apiVersion, kind and metadata,
 * and `x-kubernetes-preserve-unknown-fields` for everything else. In v2 a built-in is published
 * as `{type: object}` (what kube publishes for a CRD that preserves unknown fields), which
 * kubectl's client-side validator treats as "anything goes".
 */
import type { ResourceInfo } from '../resource-info.js';
import { groupVersion } from '../resource-info.js';
import { DEF, kindDefinitionName, type GroupVersionKind } from './names.js';
import {
  LIST_METADATA_DESCRIPTION,
  OBJECT_METADATA_DESCRIPTION,
  typeMetaProperties,
} from './meta-schemas.js';
import { refPath, refSchema, type JsonObject, type OpenApiFlavor } from './schema-object.js';

const GVK_EXTENSION = 'x-kubernetes-group-version-kind';

/** Keys of a structural schema node that are published as they are. */
const GENERIC_KEYS = ['description', 'type', 'title', 'default', 'nullable'] as const;
const VALUE_VALIDATION_KEYS = [
  'format', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength',
  'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'enum', 'maxProperties',
  'minProperties', 'required',
] as const;
const JUNCTORS = ['allOf', 'anyOf', 'oneOf'] as const;

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function gvkOf(r: ResourceInfo, kind = r.kind): GroupVersionKind {
  return { group: r.group, version: r.version, kind };
}

/**
 * One node of a CRD schema as apiextensions publishes it in v3: the structural fields, the
 * x-kubernetes-* extensions that are set, int-or-string unfolded, embedded resources completed.
 * Fields a structural schema cannot have ($ref, definitions, patternProperties, example, ...)
 * are dropped, as NewStructural drops them.
 */
function publishNodeV3(s: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of GENERIC_KEYS) if (s[k] !== undefined) out[k] = structuredClone(s[k]);
  for (const k of VALUE_VALIDATION_KEYS) if (s[k] !== undefined) out[k] = structuredClone(s[k]);
  for (const [k, v] of Object.entries(s)) {
    // ToKubeOpenAPI emits an extension only when it is set (true, or a non-empty value).
    if (!k.startsWith('x-kubernetes-')) continue;
    if (v === false || v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = structuredClone(v);
  }
  if (isObject(s.properties)) {
    out.properties = {};
    for (const [name, sub] of Object.entries(s.properties)) {
      if (isObject(sub)) out.properties[name] = publishNodeV3(sub);
    }
  }
  if (isObject(s.items)) out.items = publishNodeV3(s.items);
  if (typeof s.additionalProperties === 'boolean') out.additionalProperties = s.additionalProperties;
  else if (isObject(s.additionalProperties)) out.additionalProperties = publishNodeV3(s.additionalProperties);
  for (const j of JUNCTORS) {
    if (Array.isArray(s[j])) out[j] = (s[j] as unknown[]).filter(isObject).map(publishNodeV3);
  }
  if (isObject(s.not)) out.not = publishNodeV3(s.not);

  // Unfold: int-or-string becomes an explicit anyOf of integer and string.
  if (s['x-kubernetes-int-or-string'] === true) {
    const intOrString = [{ type: 'integer' }, { type: 'string' }];
    if (!Array.isArray(out.anyOf) || out.anyOf.length === 0) out.anyOf = intOrString;
    else out.allOf = [{ anyOf: intOrString }, ...(out.allOf ?? [])];
  }
  return out;
}

/**
 * ToStructuralOpenAPIV2, applied to a published v3 node: drop what OpenAPI v2 (and kubectl's
 * v2 model parser) cannot represent. Parent first, so a parent still sees its children's
 * `nullable` when it filters `required`.
 */
function toV2Node(s: JsonObject): void {
  for (const j of [...JUNCTORS, 'not'] as const) delete s[j];
  if (isObject(s.properties)) {
    const nullableProps = Object.entries(s.properties)
      .filter(([, sub]) => isObject(sub) && sub.nullable === true)
      .map(([name]) => name);
    if (Array.isArray(s.required) && nullableProps.length > 0) {
      s.required = (s.required as string[]).filter((n) => !nullableProps.includes(n));
      if (s.required.length === 0) delete s.required;
    }
  }
  if (isObject(s.additionalProperties) && s.additionalProperties.nullable === true) delete s.required;
  if (s.nullable === true) {
    // An untyped value with items or properties breaks kubectl.
    delete s.type;
    delete s.items;
    delete s.properties;
  }
  delete s.nullable;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (preserve) {
    // Unknown fields are rejected by kubectl's validator once properties are listed.
    delete s.items;
    delete s.properties;
  }
  if (s.type === 'array' && s.items === undefined) delete s.type;
  if (preserve && s.type === 'object') delete s.type;
  // kube prunes defaults from the whole v2 document.
  delete s.default;

  if (isObject(s.properties)) for (const sub of Object.values(s.properties)) if (isObject(sub)) toV2Node(sub);
  if (isObject(s.items)) toV2Node(s.items);
  if (isObject(s.additionalProperties)) toV2Node(s.additionalProperties);
}

/** `metadata` of a custom resource: a `$ref` to ObjectMeta with a description beside it, as apiextensions writes it. */
function crdMetadataRef(flavor: OpenApiFlavor): JsonObject {
  return { $ref: refPath(flavor, DEF.objectMeta), description: OBJECT_METADATA_DESCRIPTION };
}

/** addEmbeddedProperties: nodes marked x-kubernetes-embedded-resource get apiVersion, kind and metadata. */
function addEmbeddedProperties(s: JsonObject, flavor: OpenApiFlavor): void {
  if (isObject(s.properties)) for (const sub of Object.values(s.properties)) if (isObject(sub)) addEmbeddedProperties(sub, flavor);
  if (isObject(s.items)) addEmbeddedProperties(s.items, flavor);
  if (isObject(s.additionalProperties)) addEmbeddedProperties(s.additionalProperties, flavor);
  if (flavor === 'v2' && s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (s['x-kubernetes-embedded-resource'] !== true) return;
  s.properties = { ...(s.properties ?? {}), ...typeMetaProperties(), metadata: crdMetadataRef(flavor) };
  const required: string[] = Array.isArray(s.required) ? s.required : [];
  for (const k of ['kind', 'apiVersion']) if (!required.includes(k)) required.push(k);
  s.required = required;
}

/**
 * A CRD version's `openAPIV3Schema` as published for `flavor`. Exported for tests and for
 * anything else that needs the published form (server-side apply's type converter, later).
 */
export function publishCrdSchema(
  schema: JsonObject | undefined,
  gvk: GroupVersionKind,
  flavor: OpenApiFlavor,
  crdPreserveUnknownFields = false,
): JsonObject {
  let out: JsonObject;
  if (
    schema === undefined ||
    (flavor === 'v2' && (schema['x-kubernetes-preserve-unknown-fields'] === true || crdPreserveUnknownFields))
  ) {
    // Not even TypeMeta/ObjectMeta: kubectl's v2 validator would then reject every other field.
    out = { type: 'object' };
  } else {
    out = publishNodeV3(schema);
    if (flavor === 'v2') toV2Node(out);
    out.properties = { ...(out.properties ?? {}), metadata: crdMetadataRef(flavor), ...typeMetaProperties() };
    addEmbeddedProperties(out, flavor);
  }
  out[GVK_EXTENSION] = [{ group: gvk.group, kind: gvk.kind, version: gvk.version }];
  return out;
}

/** The description a built-in kind gets when nobody supplied a schema for it. */
function builtinDescription(r: ResourceInfo): string {
  const scope = r.namespaced ? 'namespaced' : 'cluster-scoped';
  return (
    `${r.kind} is the ${scope} built-in kind served at ${groupVersion(r.group, r.version)}/${r.resource}. ` +
    'This server does not publish its full schema: only the fields listed here are described, ' +
    'and every other field is accepted and checked by the server.'
  );
}

function builtinSchema(r: ResourceInfo, flavor: OpenApiFlavor): JsonObject {
  const given = r.openapiSchema as JsonObject | undefined;
  const description = typeof given?.description === 'string' ? given.description : builtinDescription(r);
  let out: JsonObject;
  if (flavor === 'v2') {
    out = { description, type: 'object' };
  } else if (given) {
    out = publishNodeV3(given);
    const props: JsonObject = { ...typeMetaProperties(), ...(out.properties ?? {}) };
    props.metadata = refSchema('v3', DEF.objectMeta, OBJECT_METADATA_DESCRIPTION);
    out.properties = props;
    if (out.type === undefined) out.type = 'object';
  } else {
    const properties: JsonObject = { ...typeMetaProperties(), metadata: refSchema('v3', DEF.objectMeta, OBJECT_METADATA_DESCRIPTION) };
    if (r.subresources.status) {
      // A status subresource means the kind follows the spec/status convention.
      properties.spec = {
        description: `Spec is the desired state of the ${r.kind}.`,
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      };
      properties.status = {
        description: `Status is the most recently observed state of the ${r.kind}, written by the system. Read-only.`,
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      };
    }
    out = { description, type: 'object', properties, 'x-kubernetes-preserve-unknown-fields': true };
  }
  out[GVK_EXTENSION] = [{ group: r.group, kind: r.kind, version: r.version }];
  return out;
}

/** The published schema of `r`'s kind. */
export function buildKindSchema(r: ResourceInfo, flavor: OpenApiFlavor): JsonObject {
  if (r.crd) {
    const out = publishCrdSchema(r.crd.schema as JsonObject | undefined, gvkOf(r), flavor, r.crd.preserveUnknownFields);
    // CustomResourceFieldSelectors (beta, on in 1.32): the CRD version's selectableFields.
    const selectable = Object.keys(r.fieldSelectors ?? {});
    if (selectable.length > 0) out['x-kubernetes-selectable-fields'] = selectable.map((fieldPath) => ({ fieldPath }));
    return out;
  }
  return builtinSchema(r, flavor);
}

/** The published schema of `r`'s list kind (`WidgetList`). */
export function buildListSchema(r: ResourceInfo, flavor: OpenApiFlavor): JsonObject {
  const metadata = r.crd
    ? { $ref: refPath(flavor, DEF.listMeta), description: LIST_METADATA_DESCRIPTION }
    : refSchema(flavor, DEF.listMeta, LIST_METADATA_DESCRIPTION);
  return {
    description: `${r.listKind} is a list of ${r.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: typeMetaProperties().apiVersion,
      items: {
        description: `List of ${r.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        type: 'array',
        items: { $ref: refPath(flavor, kindDefinitionName(r)) },
      },
      kind: typeMetaProperties().kind,
      metadata,
    },
    [GVK_EXTENSION]: [{ group: r.group, kind: r.listKind, version: r.version }],
  };
}
