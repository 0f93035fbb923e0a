import type {
  ApiKey,
  CreateKeyRequest,
  CreatedApiKey,
  DailyUsageRow,
  MonthlyUsageRow,
  OllamaModel,
  Owner,
  OwnerRequest,
  ProblemDetails,
  ProxyInfo,
  QuotaPatch,
  Settings,
} from './types';

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
 * Resolves with the parsed JSON body; rejects with ApiError.
 */
export async function request<T>(
  password: string,
  method: Method,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
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

    listKeys: (signal?: AbortSignal) => r<ApiKey[]>('GET', '/api/api-keys', { signal }),
    createKey: (body: CreateKeyRequest) => r<CreatedApiKey>('POST', '/api/api-keys', { body }),
    deactivateKey: (keyId: string) =>
      r<ApiKey>('PUT', `/api/api-keys/${id(keyId)}/deactivate`),
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
    monthlyUsage: (keyId: string, months = 12, signal?: AbortSignal) =>
      r<MonthlyUsageRow[]>('GET', `/api/api-keys/${id(keyId)}/usage/monthly?months=${months}`, {
        signal,
      }),
  };
}

export type AdminApi = ReturnType<typeof createApi>;
