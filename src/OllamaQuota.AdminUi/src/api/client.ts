import type {
  ApiKey,
  AuditPage,
  AuditQuery,
  CreateKeyRequest,
  CreatedApiKey,
  DailyUsageRow,
  KeyListPage,
  KeyListQuery,
  MonthlyUsageRow,
  OllamaModel,
  Overview,
  OverviewPeriod,
  Owner,
  OwnerRequest,
  ProblemDetails,
  ProxyInfo,
  QuotaPatch,
  RequestLogFilter,
  RequestLogPage,
  Settings,
} from './types';

const FILTER_ORDER: readonly (keyof RequestLogFilter)[] = ['key_id', 'model', 'endpoint', 'status', 'from', 'to'];

/** The filter as a query string ("" when empty), in a fixed order, empty values left out. */
export function filterQuery(filter: RequestLogFilter, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const k of FILTER_ORDER) if (filter[k]) q.set(k, filter[k]);
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The Admin's query for one page of the key list, in a fixed order, defaults left out. */
export function keyListQuery(query: KeyListQuery, pageSize: number): string {
  const q = new URLSearchParams();
  const search = query.search?.trim();
  if (search) q.set('search', search);
  if (query.status) q.set('status', query.status);
  if (query.owner_id) q.set('owner_id', query.owner_id);
  if (query.sort) q.set('sort', query.sort);
  if (query.dir) q.set('dir', query.dir);
  q.set('limit', String(pageSize));
  q.set('offset', String(((query.page ?? 1) - 1) * pageSize));
  return `?${q}`;
}

/**
 * An error from the Admin API (or from the network). Carries the RFC 7807
 * fields when the server sent them. `status` is 0 for network failures.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: Record<string, string[]>;

  constructor(status: number, problem: ProblemDetails = {}, fallback?: string) {
    super(problem.detail || problem.title || fallback || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors;
  }

  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
}

async function readProblem(res: Response): Promise<ProblemDetails> {
  const text = await res.text().catch(() => '');
  if (!text) return {};
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === 'object') return json as ProblemDetails;
  } catch {
    // Not JSON (e.g. a proxy's HTML error page): keep the status text only.
  }
  return {};
}

/**
 * Sends one request to the Admin API with the admin password as bearer token.
 * Resolves with the successful response; rejects with ApiError.
 */
async function send(password: string, method: Method, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: 'application/json, application/problem+json',
    Authorization: `Bearer ${password}`,
  };
  const init: RequestInit = { method, headers, signal: options.signal, credentials: 'omit' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }

  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, {}, 'network');
  }

  if (!res.ok) {
    throw new ApiError(res.status, await readProblem(res), res.statusText);
  }
  return res;
}

/** Sends one request (see `send`) and resolves with the parsed JSON body. */
export async function request<T>(
  password: string,
  method: Method,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const res = await send(password, method, path, options);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The Admin API bound to one password. */
export function createApi(password: string) {
  const r = <T>(method: Method, path: string, options?: RequestOptions) =>
    request<T>(password, method, path, options);
  const id = (keyId: string) => encodeURIComponent(keyId);

  return {
    getSettings: (signal?: AbortSignal) => r<Settings>('GET', '/api/settings', { signal }),
    putSettings: (body: Settings) => r<Settings>('PUT', '/api/settings', { body }),
    testConnection: (ollama_url: string) =>
      r<{ version: string }>('POST', '/api/settings/test-connection', { body: { ollama_url } }),
    listModels: (signal?: AbortSignal) =>
      r<{ models: OllamaModel[] }>('GET', '/api/ollama-models', { signal }),
    proxyInfo: (signal?: AbortSignal) => r<ProxyInfo>('GET', '/api/proxy-info', { signal }),

    /** One page of keys, searched, filtered and sorted by the server. */
    listKeys: async (query: KeyListQuery, pageSize: number, signal?: AbortSignal): Promise<KeyListPage> => {
      const res = await send(password, 'GET', `/api/api-keys${keyListQuery(query, pageSize)}`, { signal });
      const items = (await res.json()) as ApiKey[];
      // The Admin always counts the matches; without its header, this page is taken for the whole list.
      return { items, total: Number(res.headers.get('X-Total-Count') ?? items.length) };
    },
    getKey: (keyId: string, signal?: AbortSignal) => r<ApiKey>('GET', `/api/api-keys/${id(keyId)}`, { signal }),
    createKey: (body: CreateKeyRequest) => r<CreatedApiKey>('POST', '/api/api-keys', { body }),
    deactivateKey: (keyId: string) =>
      r<ApiKey>('PUT', `/api/api-keys/${id(keyId)}/deactivate`),
    rotateKey: (keyId: string, graceHours: number) =>
      r<CreatedApiKey>('POST', `/api/api-keys/${id(keyId)}/rotate`, { body: { grace_hours: graceHours } }),
    reactivateKey: (keyId: string) => r<ApiKey>('POST', `/api/api-keys/${id(keyId)}/reactivate`),
    deleteKey: (keyId: string) => r<ApiKey>('DELETE', `/api/api-keys/${id(keyId)}`),
    listAudit: (query: AuditQuery, signal?: AbortSignal) => {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined && value !== '') params.set(name, String(value));
      }
      const qs = params.toString();
      return r<AuditPage>('GET', `/api/audit${qs ? `?${qs}` : ''}`, { signal });
    },
    patchQuota: (keyId: string, body: QuotaPatch) =>
      r<ApiKey>('PATCH', `/api/api-keys/${id(keyId)}/quota`, { body }),
    setKeyOwner: (keyId: string, ownerId: string | null) =>
      r<ApiKey>('PUT', `/api/api-keys/${id(keyId)}/owner`, { body: { owner_id: ownerId } }),

    listOwners: (signal?: AbortSignal) => r<Owner[]>('GET', '/api/owners', { signal }),
    createOwner: (body: OwnerRequest) => r<Owner>('POST', '/api/owners', { body }),
    patchOwner: (ownerId: string, body: OwnerRequest) => r<Owner>('PATCH', `/api/owners/${id(ownerId)}`, { body }),
    /** Refused (409) while the owner holds keys, unless they are detached. */
    deleteOwner: (ownerId: string, detachKeys = false) =>
      r<void>('DELETE', `/api/owners/${id(ownerId)}${detachKeys ? '?detach_keys=true' : ''}`),

    dailyUsage: (keyId: string, days = 30, signal?: AbortSignal) =>
      r<DailyUsageRow[]>('GET', `/api/api-keys/${id(keyId)}/usage/daily?days=${days}`, { signal }),
    overview: (period: OverviewPeriod, signal?: AbortSignal) =>
      r<Overview>('GET', `/api/overview?period=${period}`, { signal }),
    requestLog: (filter: RequestLogFilter, cursor?: string, signal?: AbortSignal) =>
      r<RequestLogPage>('GET', `/api/requests${filterQuery(filter, { cursor, limit: '50' })}`, { signal }),
    /** The filtered log as CSV (the server streams it; the browser holds the file until it is saved). */
    requestLogCsv: async (filter: RequestLogFilter): Promise<Blob> => {
      let res: Response;
      try {
        res = await fetch(`/api/requests.csv${filterQuery(filter)}`, {
          headers: { Accept: 'text/csv', Authorization: `Bearer ${password}` },
          credentials: 'omit',
        });
      } catch {
        throw new ApiError(0, {}, 'network');
      }
      if (!res.ok) throw new ApiError(res.status, await readProblem(res), res.statusText);
      return res.blob();
    },
    monthlyUsage: (keyId: string, months = 12, signal?: AbortSignal) =>
      r<MonthlyUsageRow[]>('GET', `/api/api-keys/${id(keyId)}/usage/monthly?months=${months}`, {
        signal,
      }),
  };
}

export type AdminApi = ReturnType<typeof createApi>;
