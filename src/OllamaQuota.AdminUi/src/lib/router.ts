import { useEffect, useState } from 'react';
import type { KeyListQuery, KeySort, KeyStatus, SortDir } from '../api/types';

/** Hash routes: #/ (overview), #/requests[?key_id=…], #/keys[?search=…&status=…&owner_id=…&sort=…&dir=…&page=…], #/keys/<id>, #/owners, #/settings, #/proxy, #/audit, #/audit/<target id>. */
export type Route =
  | { page: 'overview' }
  | { page: 'requests'; keyId?: string }
  | { page: 'keys'; query?: KeyListQuery }
  | { page: 'owners' }
  | { page: 'key'; id: string }
  | { page: 'settings' }
  | { page: 'proxy' }
  | { page: 'audit'; target?: string };

const KEY_STATUSES: readonly KeyStatus[] = ['active', 'deactivated', 'expired', 'deleted'];
const KEY_SORTS: readonly KeySort[] = ['created', 'name', 'prefix', 'expires'];

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  values.find((v) => v === value);

/** The key list's view from its query string; anything unknown is left at its default. */
function parseKeyListQuery(params: URLSearchParams): KeyListQuery {
  const page = Number(params.get('page'));
  const query: KeyListQuery = {
    search: params.get('search') || undefined,
    status: oneOf(KEY_STATUSES, params.get('status')),
    owner_id: params.get('owner_id') || undefined,
    sort: oneOf(KEY_SORTS, params.get('sort')),
    dir: oneOf<SortDir>(['asc', 'desc'], params.get('dir')),
    page: Number.isSafeInteger(page) && page > 1 ? page : undefined,
  };
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
}

function keyListHash(query: KeyListQuery = {}): string {
  const params = new URLSearchParams();
  for (const name of ['search', 'status', 'owner_id', 'sort', 'dir', 'page'] as const) {
    const value = query[name];
    if (value !== undefined && value !== '' && !(name === 'page' && value === 1)) params.set(name, String(value));
  }
  const qs = params.toString();
  return qs ? `#/keys?${qs}` : '#/keys';
}

export function parseHash(hash: string): Route {
  const [pathPart, queryString = ''] = hash.replace(/^#/, '').split('?');
  const path = pathPart.replace(/^\/+/, '').replace(/\/+$/, '');
  const [head, ...rest] = path.split('/');
  if (head === 'keys' && rest.length === 0) {
    const query = parseKeyListQuery(new URLSearchParams(queryString));
    return Object.keys(query).length > 0 ? { page: 'keys', query } : { page: 'keys' };
  }
  if (head === 'requests') {
    const keyId = new URLSearchParams(queryString).get('key_id');
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
      return keyListHash(route.query);
    case 'requests':
      return route.keyId ? `#/requests?key_id=${encodeURIComponent(route.keyId)}` : '#/requests';
    default:
      return '#/';
  }
}

/** Goes to a route; `replace` changes the current history entry instead of adding one (e.g. while typing a search). */
export function navigate(route: Route, { replace = false }: { replace?: boolean } = {}) {
  if (!replace) {
    window.location.hash = hrefFor(route);
    return;
  }
  // replaceState fires no hashchange, so tell useRoute itself.
  window.history.replaceState(window.history.state, '', hrefFor(route));
  window.dispatchEvent(new HashChangeEvent('hashchange'));
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
