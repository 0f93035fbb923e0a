import { render } from '@testing-library/react';
import { vi } from 'vitest';
import type { ApiKey, Owner, UsageWindow } from '../api/types';
import { App } from '../App';
import type { Lang } from '../i18n';
import { listKeys } from '../../dev/key-list.mjs';

export const PASSWORD = 's3cret';

export interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

type Answer = { status?: number; body?: unknown; headers?: Record<string, string> };
type Reply = Answer | ((call: Call) => Answer);

/**
 * Replaces fetch with a router over "METHOD /path" (query string ignored unless
 * the route names one). Unknown routes answer 404 problem details. Returns the
 * recorded calls.
 */
export function mockApi(routes: Record<string, Reply>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(Object.entries((init.headers as Record<string, string>) ?? {}));
    const call: Call = {
      method,
      path: url.pathname + url.search,
      headers,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    const route = routes[`${method} ${url.pathname}${url.search}`] ?? routes[`${method} ${url.pathname}`];
    if (!route) {
      return json(404, { title: 'Not Found', status: 404, detail: `no mock for ${method} ${url.pathname}` }, true);
    }
    const reply = typeof route === 'function' ? route(call) : route;
    const status = reply.status ?? 200;
    return json(status, reply.body, status >= 400, reply.headers);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}

function json(status: number, body: unknown, problem = false, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': problem ? 'application/problem+json' : 'application/json', ...headers },
  });
}

/**
 * The keys routes as the Admin answers them over `keys` (the mock admin server's rules): GET /api/api-keys searched,
 * filtered, sorted and paged with the number of matches in X-Total-Count, and GET /api/api-keys/<id>. `keys` may change
 * between calls.
 */
export function keyRoutes(keys: readonly ApiKey[]): Record<string, Reply> {
  const one = (id: string): Reply => () => {
    const key = keys.find((k) => k.id === id);
    return key ? { body: key } : problem(404, 'Not Found', `There is no API key with id ${id}.`);
  };
  return {
    'GET /api/api-keys': (call) => {
      const { items, total } = listKeys(keys, new URL(call.path, 'http://localhost').searchParams);
      return { body: items, headers: { 'X-Total-Count': String(total) } };
    },
    ...Object.fromEntries(keys.map((k) => [`GET /api/api-keys/${k.id}`, one(k.id)])),
  };
}

export const problem = (status: number, title: string, detail?: string, errors?: Record<string, string[]>) => ({
  status,
  body: { type: 'about:blank', title, status, detail, errors },
});

const w = (requests: number, prompt: number, completion: number, gpuSeconds = 0, timed = 0): UsageWindow => ({
  requests,
  prompt_tokens: prompt,
  completion_tokens: completion,
  tokens: prompt + completion,
  gpu_seconds: gpuSeconds,
  timed_requests: timed,
});

export function makeKey(over: Partial<ApiKey> & { name: string }): ApiKey {
  return {
    id: `id-${over.name}`,
    key_prefix: `sk-${over.name.slice(0, 8).padEnd(8, 'x')}`,
    status: 'active',
    created_at: '2026-11-01T10:00:00Z',
    expires_at: null,
    deactivated_at: null,
    deleted_at: null,
    rotated_at: null,
    previous_key_prefix: null,
    previous_key_expires_at: null,
    daily_tokens: null,
    monthly_tokens: null,
    daily_requests: null,
    monthly_requests: null,
    requests_per_minute: null,
    tokens_per_minute: null,
    requests_per_hour: null,
    tokens_per_hour: null,
    max_concurrent_requests: null,
    allowed_models: [],
    usage: { today: w(0, 0, 0), month: w(0, 0, 0), hour: w(0, 0, 0), minute: w(0, 0, 0) },
    in_flight: 0,
    owner_id: null,
    owner_name: null,
    ...over,
  };
}

export function makeOwner(over: Partial<Owner> & { name: string }): Owner {
  return {
    id: `owner-${over.name}`,
    contact: null,
    created_at: '2026-11-01T10:00:00Z',
    daily_tokens: null,
    monthly_tokens: null,
    daily_requests: null,
    monthly_requests: null,
    requests_per_minute: null,
    tokens_per_minute: null,
    requests_per_hour: null,
    tokens_per_hour: null,
    max_concurrent_requests: null,
    keys: [],
    usage: { today: w(0, 0, 0), month: w(0, 0, 0), hour: w(0, 0, 0), minute: w(0, 0, 0) },
    in_flight: 0,
    ...over,
    key_count: over.key_count ?? over.keys?.length ?? 0,
  };
}

export const sampleKeys = (): ApiKey[] => [
  makeKey({
    name: 'alpha',
    created_at: '2026-10-01T10:00:00Z',
    daily_tokens: 1000,
    monthly_tokens: 10000,
    daily_requests: 100,
    monthly_requests: null,
    usage: { today: w(50, 300, 200, 12.5, 50), month: w(95, 5000, 4000, 754.2, 90), hour: w(8, 120, 80), minute: w(2, 30, 20) },
    in_flight: 3,
  }),
  makeKey({
    name: 'bravo',
    created_at: '2026-11-05T10:00:00Z',
    expires_at: '2026-12-31T22:59:59Z',
    daily_tokens: 1000,
    usage: { today: w(3, 500, 300), month: w(3, 500, 300), hour: w(0, 0, 0), minute: w(0, 0, 0) },
  }),
  makeKey({
    name: 'charlie',
    status: 'deactivated',
    created_at: '2026-09-01T10:00:00Z',
    deactivated_at: '2026-11-10T10:00:00Z',
  }),
  makeKey({ name: 'delta', status: 'expired', created_at: '2026-08-01T10:00:00Z', expires_at: '2026-11-01T00:00:00Z' }),
];

/** Renders the whole app, optionally already logged in (password in sessionStorage), on the keys page unless told. */
export function renderApp({ loggedIn = true, lang = 'en', hash = '#/keys' }: { loggedIn?: boolean; lang?: Lang; hash?: string } = {}) {
  if (loggedIn) sessionStorage.setItem('oq.admin', PASSWORD);
  window.location.hash = hash;
  return render(<App lang={lang} />);
}
