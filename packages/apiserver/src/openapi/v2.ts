/**
 * `/openapi/v2`: one Swagger 2.0 document for every served resource. kubectl downloads it
 * (as gnostic protobuf, see v2-protobuf.ts) before every create, apply, replace and edit with
 * the default `--validate=strict`, and a failure to fetch or parse it is fatal: every `$ref`
 * must resolve and every schema must be one kubectl's v2 model parser accepts
 * (kube-openapi `pkg/util/proto`: one type per schema, arrays with one item schema, no type
 * beside a `$ref`).
 *
 * @example
 *   const doc = buildOpenApiV2(registry.all());
 *   const body = encodeOpenApiV2Protobuf(doc); // Content-Type OPENAPI_V2_PROTOBUF_CONTENT_TYPE
 */
import type { ResourceInfo } from '../resource-info.js';
import { buildKindSchema, buildListSchema } from './kind-schema.js';
import { metaSchemas } from './meta-schemas.js';
import { DEF, kindDefinitionName, listDefinitionName } from './names.js';
import { parameterSpec, resourcePaths, type OperationSpec, type ParameterName, type PathSpec } from './operations.js';
import { reachableSchemas, refPath, type JsonObject } from './schema-object.js';

export interface OpenApiV2Options {
  /** `info.version`: the server's gitVersion (kube: "v1.32.0"). */
  serverVersion?: string;
}

function renderParameter(name: ParameterName, kind: string): JsonObject {
  const p = parameterSpec(name, kind);
  const out: JsonObject = { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in };
  if (p.required) out.required = true;
  return out;
}

function renderOperation(o: OperationSpec): JsonObject {
  const out: JsonObject = {
    description: o.description,
    consumes: o.body && 'patchTypes' in o.body ? [...o.body.patchTypes] : ['*/*'],
    produces: [...o.produces],
    schemes: ['https'],
    tags: [o.tag],
    operationId: o.operationId,
  };
  const parameters: JsonObject[] = [];
  if (o.body) {
    const schema = 'patchTypes' in o.body ? DEF.patch : o.body.schema;
    const required = 'patchTypes' in o.body ? true : o.body.required;
    parameters.push({ name: 'body', in: 'body', required, schema: { $ref: refPath('v2', schema) } });
  }
  parameters.push(...[...o.parameters].sort().map((n) => renderParameter(n, o.gvk.kind)));
  if (parameters.length > 0) out.parameters = parameters;
  const responses: JsonObject = {};
  for (const r of o.responses) {
    responses[r.code] = r.schema === undefined
      ? { description: r.description }
      : { description: r.description, schema: { $ref: refPath('v2', r.schema) } };
  }
  out.responses = responses;
  out['x-kubernetes-action'] = o.action;
  out['x-kubernetes-group-version-kind'] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
  return out;
}

function renderPath(p: PathSpec): JsonObject {
  const kind = p.operations[0].gvk.kind;
  const out: JsonObject = {};
  for (const o of p.operations) out[o.method] = renderOperation(o);
  if (p.parameters.length > 0) out.parameters = [...p.parameters].sort().map((n) => renderParameter(n, kind));
  return out;
}

/**
 * kube prunes `default` from every schema of the v2 document (kube-openapi
 * `handler.PruneDefaults`); only schema nodes are touched, never a property that happens to be
 * named "default".
 */
function pruneDefaults(schema: JsonObject): JsonObject {
  const out: JsonObject = { ...schema };
  delete out.default;
  if (out.properties && typeof out.properties === 'object') {
    out.properties = Object.fromEntries(Object.entries(out.properties as JsonObject).map(([k, v]) => [k, pruneDefaults(v)]));
  }
  if (out.items && typeof out.items === 'object' && !Array.isArray(out.items)) out.items = pruneDefaults(out.items);
  if (out.additionalProperties && typeof out.additionalProperties === 'object') {
    out.additionalProperties = pruneDefaults(out.additionalProperties);
  }
  if (Array.isArray(out.allOf)) out.allOf = out.allOf.map(pruneDefaults);
  return out;
}

/** The Swagger 2.0 document of everything in `resources`. */
export function buildOpenApiV2(resources: ResourceInfo[], options: OpenApiV2Options = {}): object {
  const sorted = [...resources].sort((a, b) => {
    const ka = `${a.group}/${a.version}/${a.resource}`;
    const kb = `${b.group}/${b.version}/${b.resource}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const allPaths = sorted.flatMap(resourcePaths).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const paths: JsonObject = {};
  for (const p of allPaths) paths[p.path] = renderPath(p);

  const gvs = new Map<string, { group: string; version: string }>();
  for (const r of sorted) gvs.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  const available: Record<string, JsonObject> = { ...metaSchemas('v2', [...gvs.values()]) };
  for (const r of sorted) {
    available[kindDefinitionName(r)] = buildKindSchema(r, 'v2');
    available[listDefinitionName(r)] = buildListSchema(r, 'v2');
  }
  const roots = [paths, ...sorted.map((r) => ({ $ref: refPath('v2', kindDefinitionName(r)) }))];
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: options.serverVersion ?? 'unversioned' },
    paths,
    definitions: Object.fromEntries(Object.entries(reachableSchemas(roots, available)).map(([k, v]) => [k, pruneDefaults(v)])),
    securityDefinitions: {
      BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' },
    },
    security: [{ BearerToken: [] }],
  };
}
