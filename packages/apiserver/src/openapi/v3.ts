/**
 * `/openapi/v3`: an index of group-versions, and one OpenAPI 3.0 document per group-version.
 *
 * The index maps "api/v1", "apis/apps/v1", ... to `/openapi/v3/<path>?hash=<HASH>`, where HASH
 * is the upper-case hex SHA-512 of the group-version document's bytes, as kube-openapi's
 * handler3 computes it (`fmt.Sprintf("%X", sha512.Sum512(json))`). Clients cache a document by
 * that URL forever, so the server must serve exactly the bytes that were hashed: use
 * `buildOpenApiV3Documents`, which returns both.
 *
 * @example
 *   const { index, groupVersions } = buildOpenApiV3Documents(registry.all());
 *   // GET /openapi/v3                 → JSON.stringify(index)
 *   // GET /openapi/v3/apis/apps/v1    → groupVersions.get('apis/apps/v1').json
 */
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../resource-info.js';
import { buildKindSchema, buildListSchema } from './kind-schema.js';
import { metaSchemas } from './meta-schemas.js';
import { DEF, kindDefinitionName, listDefinitionName, openApiV3PathKey } from './names.js';
import { parameterSpec, resourcePaths, type OperationSpec, type PathSpec } from './operations.js';
import { reachableSchemas, refPath, type JsonObject } from './schema-object.js';

export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface OpenApiV3Options {
  /** `info.version` of the documents: the server's gitVersion (kube: "v1.32.0"). */
  serverVersion?: string;
}

/** What `info.version` says when the caller does not pass the server version. */
const DEFAULT_SERVER_VERSION = 'unversioned';

/** Upper-case hex SHA-512, the `hash` query parameter (and, quoted, the ETag) of a v3 document. */
export function openApiV3Hash(bytes: string | Uint8Array): string {
  return createHash('sha512').update(bytes).digest('hex').toUpperCase();
}

function sortedByPath<T extends { path: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function renderParameter(name: Parameters<typeof parameterSpec>[0], kind: string): JsonObject {
  const p = parameterSpec(name, kind);
  const out: JsonObject = { name: p.name, in: p.in, description: p.description };
  if (p.required) out.required = true;
  // kube's generator marks every parameter schema uniqueItems; kept for fidelity.
  out.schema = { type: p.type, uniqueItems: true };
  return out;
}

function renderOperation(o: OperationSpec): JsonObject {
  const out: JsonObject = { tags: [o.tag], description: o.description, operationId: o.operationId };
  if (o.parameters.length > 0) out.parameters = [...o.parameters].sort().map((n) => renderParameter(n, o.gvk.kind));
  if (o.body) {
    if ('patchTypes' in o.body) {
      const content: JsonObject = {};
      for (const t of o.body.patchTypes) content[t] = { schema: { $ref: refPath('v3', DEF.patch) } };
      out.requestBody = { content, required: true };
    } else {
      out.requestBody = { content: { '*/*': { schema: { $ref: refPath('v3', o.body.schema) } } } };
      if (o.body.required) out.requestBody.required = true;
    }
  }
  const responses: JsonObject = {};
  for (const r of o.responses) {
    if (r.schema === undefined) {
      responses[r.code] = { description: r.description };
      continue;
    }
    const content: JsonObject = {};
    for (const mt of o.produces) content[mt] = { schema: { $ref: refPath('v3', r.schema) } };
    responses[r.code] = { description: r.description, content };
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
 * The OpenAPI 3.0 document of one group-version: every path of every resource of that
 * group-version in `resources` (others are ignored), and the schemas they reach.
 */
export function buildOpenApiV3GroupVersion(
  group: string,
  version: string,
  resources: ResourceInfo[],
  options: OpenApiV3Options = {},
): object {
  const mine = resources
    .filter((r) => r.group === group && r.version === version)
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  const paths: JsonObject = {};
  for (const p of sortedByPath(mine.flatMap(resourcePaths))) paths[p.path] = renderPath(p);

  const available: Record<string, JsonObject> = { ...metaSchemas('v3', [{ group, version }]) };
  for (const r of mine) {
    available[kindDefinitionName(r)] = buildKindSchema(r, 'v3');
    available[listDefinitionName(r)] = buildListSchema(r, 'v3');
  }
  // Kind schemas are published even when no path references them (a kind with no list verb
  // still needs explain to find it).
  const roots = [paths, ...mine.map((r) => ({ $ref: refPath('v3', kindDefinitionName(r)) }))];
  const schemas = reachableSchemas(roots, available);

  const onlyCrds = mine.length > 0 && mine.every((r) => r.crd !== undefined);
  return {
    openapi: '3.0.0',
    info: onlyCrds
      ? { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' }
      : { title: 'Kubernetes', version: options.serverVersion ?? DEFAULT_SERVER_VERSION },
    paths,
    components: {
      schemas,
      securitySchemes: {
        BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

export interface OpenApiV3GroupVersionDocument {
  group: string;
  version: string;
  /** The exact bytes to serve (Content-Type application/json). */
  json: string;
  /** Upper-case hex SHA-512 of `json`: the `hash` query parameter, and (quoted) the ETag. */
  hash: string;
}

export interface OpenApiV3Documents {
  index: OpenApiV3Index;
  /** By index key: "api/v1", "apis/apps/v1". */
  groupVersions: Map<string, OpenApiV3GroupVersionDocument>;
}

/** Every group-version document of `resources`, serialized and hashed, and the index pointing at them. */
export function buildOpenApiV3Documents(resources: ResourceInfo[], options: OpenApiV3Options = {}): OpenApiV3Documents {
  const gvs = new Map<string, { group: string; version: string }>();
  for (const r of resources) gvs.set(openApiV3PathKey(r.group, r.version), { group: r.group, version: r.version });
  const groupVersions = new Map<string, OpenApiV3GroupVersionDocument>();
  const index: OpenApiV3Index = { paths: {} };
  for (const key of [...gvs.keys()].sort()) {
    const { group, version } = gvs.get(key) as { group: string; version: string };
    const json = JSON.stringify(buildOpenApiV3GroupVersion(group, version, resources, options));
    const hash = openApiV3Hash(json);
    groupVersions.set(key, { group, version, json, hash });
    index.paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { index, groupVersions };
}

/** The `/openapi/v3` index: one entry per group-version served, with the hash of its document. */
export function buildOpenApiV3Index(resources: ResourceInfo[], options: OpenApiV3Options = {}): OpenApiV3Index {
  return buildOpenApiV3Documents(resources, options).index;
}
