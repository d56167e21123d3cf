/**
 * The JSON shape both document builders work on, and the one difference between the two
 * dialects that touches every schema: where `$ref` points and how a reference carries its own
 * description.
 */

/** An OpenAPI schema, operation or document as plain JSON. */
export type JsonObject = { [key: string]: any };

/** v3: OpenAPI 3.0 (`#/components/schemas/`); v2: Swagger 2.0 (`#/definitions/`). */
export type OpenApiFlavor = 'v3' | 'v2';

export function refPath(flavor: OpenApiFlavor, definitionName: string): string {
  return (flavor === 'v3' ? '#/components/schemas/' : '#/definitions/') + definitionName;
}

/**
 * A reference to a named schema. In v3 a `$ref` with siblings is wrapped in `allOf`, because
 * OpenAPI 3.0 ignores siblings of `$ref` (kube's built-in v3 documents do the same); in v2 the
 * description sits next to `$ref`, which is what kubectl's v2 parser expects.
 */
export function refSchema(flavor: OpenApiFlavor, definitionName: string, description?: string): JsonObject {
  const ref = { $ref: refPath(flavor, definitionName) };
  if (description === undefined) return ref;
  return flavor === 'v3' ? { description, allOf: [ref] } : { ...ref, description };
}

/** Every `$ref` target (definition name) reachable inside `value`. */
export function collectRefs(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, out);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string') {
      const slash = v.lastIndexOf('/');
      out.add(v.slice(slash + 1));
    } else {
      collectRefs(v, out);
    }
  }
}

/**
 * The named schemas that `roots` reference, directly or through other schemas, in name order
 * (so a document's bytes, and therefore its hash, do not depend on insertion order).
 */
export function reachableSchemas(roots: unknown, available: Record<string, JsonObject>): Record<string, JsonObject> {
  const seen = new Set<string>();
  const queue: string[] = [];
  const first = new Set<string>();
  collectRefs(roots, first);
  queue.push(...first);
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    const schema = available[name];
    if (schema === undefined) {
      throw new Error(`OpenAPI document references schema "${name}", which no builder defines`);
    }
    seen.add(name);
    const next = new Set<string>();
    collectRefs(schema, next);
    for (const n of next) if (!seen.has(n)) queue.push(n);
  }
  const out: Record<string, JsonObject> = {};
  for (const name of [...seen].sort()) out[name] = available[name];
  return out;
}
