import { useEffect, useState } from 'react';

/** Hash routes: #/ (overview), #/requests[?key_id=…], #/keys, #/keys/<id>, #/owners, #/settings, #/proxy, #/audit, #/audit/<target id>. */
export type Route =
  | { page: 'overview' }
  | { page: 'requests'; keyId?: string }
  | { page: 'keys' }
  | { page: 'owners' }
  | { page: 'key'; id: string }
  | { page: 'settings' }
  | { page: 'proxy' }
  | { page: 'audit'; target?: string };

export function parseHash(hash: string): Route {
  const [pathPart, query = ''] = hash.replace(/^#/, '').split('?');
  const path = pathPart.replace(/^\/+/, '').replace(/\/+$/, '');
  const [head, ...rest] = path.split('/');
  if (head === 'keys' && rest.length === 0) return { page: 'keys' };
  if (head === 'requests') {
    const keyId = new URLSearchParams(query).get('key_id');
    return keyId ? { page: 'requests', keyId } : { page: 'requests' };
  }
  if (head === 'keys' && rest.length === 1 && rest[0]) {
    return { page: 'key', id: decodeURIComponent(rest[0]) };
  }
  if (head === 'owners') return { page: 'owners' };
  if (head === 'settings') return { page: 'settings' };
  if (head === 'proxy') return { page: 'proxy' };
  if (head === 'audit') return rest[0] ? { page: 'audit', target: decodeURIComponent(rest[0]) } : { page: 'audit' };
  return { page: 'overview' };
}

export function hrefFor(route: Route): string {
  switch (route.page) {
    case 'key':
      return `#/keys/${encodeURIComponent(route.id)}`;
    case 'owners':
      return '#/owners';
    case 'settings':
      return '#/settings';
    case 'proxy':
      return '#/proxy';
    case 'audit':
      return route.target ? `#/audit/${encodeURIComponent(route.target)}` : '#/audit';
    case 'keys':
      return '#/keys';
    case 'requests':
      return route.keyId ? `#/requests?key_id=${encodeURIComponent(route.keyId)}` : '#/requests';
    default:
      return '#/';
  }
}

export function navigate(route: Route) {
  window.location.hash = hrefFor(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
