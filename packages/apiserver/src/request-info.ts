/**
 * Turns a request path into what it addresses, as k8s.io/apiserver's RequestInfoFactory does:
 * /api/v1/namespaces/ns/pods/name/status → group "", version v1, namespace ns, resource pods,
 * name, subresource status; the verb comes from the method, `?watch` and whether a name is set.
 */
import { newBadRequest } from '@keelson/apimachinery';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequestInfo {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  verb: Verb;
}

// Subresources of a namespace object itself; anything else after /namespaces/<ns>/ is a resource.
const namespaceSubresources = new Set(['status', 'finalize']);

function truthy(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** undefined when the path is not a resource path (discovery, openapi, health, unknown). */
export function parseResourceRequest(method: string, pathname: string, query: URLSearchParams): ResourceRequestInfo | undefined {
  const parts = pathname.split('/').filter((p) => p !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length < 3) return undefined;
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return undefined;
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  rest = rest.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      // A stray '%' is the client's mistake, not an internal error.
      throw newBadRequest(`invalid URL escape in path segment ${JSON.stringify(p)}`);
    }
  });
  let watchPath = false;
  // Deprecated /api/v1/watch/... form, still honoured by kube-apiserver.
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
    if (rest.length === 0) return undefined;
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !namespaceSubresources.has(rest[2])) rest = rest.slice(2);
  }
  if (rest.length > 3) return undefined;
  const [resource, name = '', subresource = ''] = rest;
  let verb: Verb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name ? 'get' : watchPath || truthy(query.get('watch')) ? 'watch' : 'list';
      if (name && (watchPath || truthy(query.get('watch')))) verb = 'watch';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      return undefined;
  }
  return { group, version, namespace, resource, name, subresource, verb };
}
