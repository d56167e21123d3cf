/**
 * The `canary:` shorthand of a mesh file, and the routes it stands for. A canary by header sends
 * every call carrying the header to the canary version; a canary by weight sends that
 * percentage of the other calls there; the rest go to the stable version. Both together give
 * testers an opt-in while a slice of real traffic tries the new version.
 *
 * ```ts
 * expandCanary({ version: 'v2', weight: 10, header: { name: 'x-canary', exact: 'true' } }, ['v1', 'v2']);
 * // [ { name: 'canary-header', match: { headers: [{ name: 'x-canary', exact: 'true' }] }, destinations: [{ version: 'v2', weight: 100 }] },
 * //   { name: 'default', destinations: [{ version: 'v1', weight: 90 }, { version: 'v2', weight: 10 }] } ]
 * ```
 */
import type { MeshHeaderMatch, MeshRoute, MeshSpecError } from './mesh-spec.js';

export interface CanaryRule {
  /** The version under test. */
  version: string;
  /** Percentage (0-100, whole) of the calls without the header that go to the canary. Default 0. */
  weight?: number;
  /** Calls matching this header always go to the canary. */
  header?: MeshHeaderMatch;
  /** Where the rest go. Default: the first version that is not the canary. */
  stable?: string;
}

/** Route names the expansion uses, so debug output shows where a route came from. */
export const CANARY_HEADER_ROUTE = 'canary-header';
export const CANARY_DEFAULT_ROUTE = 'default';

/** The stable version a rule resolves to: `stable`, else the first version other than the canary. */
export function canaryStableVersion(rule: CanaryRule, versions: string[]): string | undefined {
  return rule.stable ?? versions.find((v) => v !== rule.version);
}

/** Problems of a rule against the service's versions, with paths under `path` (e.g. "services[0].canary"). */
export function validateCanary(rule: CanaryRule, versions: string[], path: string): MeshSpecError[] {
  const errors: MeshSpecError[] = [];
  const known = versions.length ? `its versions: ${versions.join(', ')}` : 'it has none';
  if (!versions.includes(rule.version)) {
    errors.push({ path: `${path}.version`, message: `"${rule.version}" is not a version of this service (${known}); fix the name or add the version` });
  }
  if (rule.stable !== undefined) {
    if (!versions.includes(rule.stable)) errors.push({ path: `${path}.stable`, message: `"${rule.stable}" is not a version of this service (${known}); fix the name or add the version` });
    else if (rule.stable === rule.version) errors.push({ path: `${path}.stable`, message: `is the canary version itself; name the version the rest of the calls go to` });
  } else if (versions.includes(rule.version) && canaryStableVersion(rule, versions) === undefined) {
    errors.push({ path: `${path}.version`, message: `"${rule.version}" is the service's only version, so nothing is left to be stable; add the stable version` });
  }
  if (rule.weight !== undefined && (!Number.isInteger(rule.weight) || rule.weight < 0 || rule.weight > 100)) {
    errors.push({ path: `${path}.weight`, message: `${String(rule.weight)} is not a whole percentage from 0 to 100` });
  }
  if (rule.weight === undefined && rule.header === undefined) {
    errors.push({ path, message: 'says neither weight nor header, so no call would reach the canary; add weight (a percentage) or header (e.g. { name: x-canary, exact: "true" })' });
  }
  return errors;
}

/**
 * The routes a valid rule stands for (validate it first). The header route comes first, since
 * the first matching route wins. The default route always names both versions, 0 weights
 * included: clients then keep both clusters warm, so moving the weight is a route change only
 * (make-before-break), and so is a rollback.
 */
export function expandCanary(rule: CanaryRule, versions: string[]): MeshRoute[] {
  const stable = canaryStableVersion(rule, versions) ?? rule.version;
  const routes: MeshRoute[] = [];
  if (rule.header) {
    routes.push({ name: CANARY_HEADER_ROUTE, match: { headers: [{ ...rule.header }] }, destinations: [{ version: rule.version, weight: 100 }] });
  }
  const weight = rule.weight ?? 0;
  routes.push({ name: CANARY_DEFAULT_ROUTE, destinations: [{ version: stable, weight: 100 - weight }, { version: rule.version, weight }] });
  return routes;
}
