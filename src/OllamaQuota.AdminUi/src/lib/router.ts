import { useEffect, useState } from 'react';

/** Hash routes: #/keys, #/keys/<id>, #/owners, #/settings, #/proxy. */
export type Route =
  | { page: 'keys' }
  | { page: 'owners' }
  | { page: 'key'; id: string }
  | { page: 'settings' }
  | { page: 'proxy' };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  const [head, ...rest] = path.split('/');
  if (head === 'keys' && rest.length === 1 && rest[0]) {
    return { page: 'key', id: decodeURIComponent(rest[0]) };
  }
  if (head === 'owners') return { page: 'owners' };
  if (head === 'settings') return { page: 'settings' };
  if (head === 'proxy') return { page: 'proxy' };
  return { page: 'keys' };
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
    default:
      return '#/keys';
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
