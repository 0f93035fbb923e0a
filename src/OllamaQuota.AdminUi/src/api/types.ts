/** Wire types of the Admin API (JSON is snake_case). */

export type KeyStatus = 'active' | 'deactivated' | 'expired' | 'deleted';

/** GPU time: seconds Ollama's runner computed, over the requests it reported durations for (none on /v1/*). */
export interface GpuUsage {
  gpu_seconds: number;
  timed_requests: number;
}

export interface UsageWindow extends GpuUsage {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  tokens: number;
}

/** Every limit of a key; null = unlimited. */
export interface Limits {
  daily_tokens: number | null;
  monthly_tokens: number | null;
  daily_requests: number | null;
  monthly_requests: number | null;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  requests_per_hour: number | null;
  tokens_per_hour: number | null;
  /** How many of the key's requests may be in flight at once. */
  max_concurrent_requests: number | null;
}

export type LimitField = keyof Limits;

/** In the order the forms and the key page show them: shortest window first, the in-flight limit last. */
export const LIMIT_FIELDS: readonly LimitField[] = [
  'requests_per_minute',
  'tokens_per_minute',
  'requests_per_hour',
  'tokens_per_hour',
  'daily_tokens',
  'daily_requests',
  'monthly_tokens',
  'monthly_requests',
  'max_concurrent_requests',
];

export interface ApiKey extends Limits {
  id: string;
  name: string;
  key_prefix: string;
  status: KeyStatus;
  created_at: string;
  expires_at: string | null;
  deactivated_at: string | null;
  deleted_at: string | null;
  rotated_at: string | null;
  /** The secret the last rotation replaced, and when it stops (or stopped) working. */
  previous_key_prefix: string | null;
  previous_key_expires_at: string | null;
  /** Model names and patterns this key may use; empty = every model. */
  allowed_models: string[];
  /** Today and this month from the roll-ups; this hour and minute from the recorded requests. */
  usage: { today: UsageWindow; month: UsageWindow; hour: UsageWindow; minute: UsageWindow };
  /** Requests of this key in flight right now, across every proxy instance. */
  in_flight: number;
  /** The owner whose limits apply across this key and its other keys; null for a key on its own. */
  owner_id: string | null;
  owner_name: string | null;
}

/** The columns the Admin API sorts the key list by (in the database; usage and in-flight figures are not columns). */
export type KeySort = 'created' | 'name' | 'prefix' | 'expires';
export type SortDir = 'asc' | 'desc';

/** One view of the key list: no status = every key still in use (deleted keys only when asked for by status). */
export interface KeyListQuery {
  search?: string;
  status?: KeyStatus;
  /** Only the keys of this owner. */
  owner_id?: string;
  sort?: KeySort;
  dir?: SortDir;
  /** 1-based. */
  page?: number;
}

/** One page of the key list, and how many keys match in all (the Admin's X-Total-Count). */
export interface KeyListPage {
  items: ApiKey[];
  total: number;
}

/** A person or a team holding keys; its limits apply across all of them. */
export interface Owner extends Limits {
  id: string;
  name: string;
  contact: string | null;
  created_at: string;
  /** Its keys, oldest first: in the list of owners only the first few (the Admin's OwnerResponse.ListedKeys). */
  keys: { id: string; name: string; key_prefix: string; status: KeyStatus }[];
  /** How many keys it holds, deleted ones included. */
  key_count: number;
  /** The usage of the keys it holds now. */
  usage: { today: UsageWindow; month: UsageWindow; hour: UsageWindow; minute: UsageWindow };
  in_flight: number;
}

export type OwnerRequest = Partial<Limits> & { name?: string; contact?: string | null };

/** Only the create and rotate responses carry the plaintext key. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

export interface CreateKeyRequest extends Partial<Limits> {
  name: string;
  expires_at?: string | null;
  allowed_models?: string[];
  owner_id?: string;
}

export type QuotaPatch = Partial<Limits> & { allowed_models?: string[] | null; expires_at?: string | null };

/** The audited actions, as the Admin API names them. */
export const AUDIT_ACTIONS = [
  'api_key.create',
  'api_key.update',
  'api_key.deactivate',
  'api_key.reactivate',
  'api_key.rotate',
  'api_key.delete',
  'api_key.move',
  'owner.create',
  'owner.update',
  'owner.delete',
  'settings.update',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One admin change; before/after hold only the fields that changed (before is null on create). */
export interface AuditEvent {
  id: number;
  occurred_at: string;
  actor: string;
  caller_address: string | null;
  action: AuditAction;
  target_type: string;
  target_id: string | null;
  target_name: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface AuditPage {
  items: AuditEvent[];
  /** Pass as `cursor` for the next, older page; null on the last page. */
  next_cursor: string | null;
}

export interface AuditQuery {
  action?: string;
  target_id?: string;
  from?: string;
  to?: string;
  cursor?: string;
  page_size?: number;
}

export interface DailyUsageRow extends GpuUsage {
  day: string;
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

export interface MonthlyUsageRow extends GpuUsage {
  month: string;
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** A num_ctx rule: the most a request may ask for, or the size every request gets. */
export type NumCtxRule = { max: number } | { fixed: number };

export interface NumCtxRules {
  default?: NumCtxRule | null;
  models?: Record<string, NumCtxRule>;
}

export interface ModelSlots {
  default?: number | null;
  models?: Record<string, number>;
}

export interface Guardrails {
  /** Seconds (a duration string such as "30m" is accepted on PUT); null = no cap. */
  max_keep_alive: number | string | null;
  num_ctx: NumCtxRules | null;
  max_images_per_request: number | null;
  max_image_bytes: number | null;
  /** Fair share: how many requests per model may be at Ollama at once; null = no model is scheduled. */
  model_slots: ModelSlots | null;
  /** The longest wait for a model slot, in seconds; null = the default (60). */
  queue_timeout_seconds: number | null;
}

export interface Settings extends Partial<Guardrails> {
  ollama_url: string;
  default_model: string;
  /** Usage events older than this many days are deleted (the daily roll-ups stay); null = keep every event. */
  usage_retention_days?: number | null;
}

/** Counts of the overview: requests the quotas count, tokens, GPU time, 5xx errors and the proxy's refusals. */
export interface OverviewUsage extends GpuUsage {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  tokens: number;
  errors: number;
  refused_429: number;
  refused_503: number;
}

export type OverviewPeriod = 'today' | 'month';

export interface OverviewDayRow extends Omit<OverviewUsage, 'tokens'> {
  day: string;
  model: string;
}

export interface Overview {
  period: OverviewPeriod;
  from: string;
  to: string;
  totals: OverviewUsage;
  by_model: { model: string; usage: OverviewUsage }[];
  /** The busiest owners by the keys they hold now; owner_id and name are null for the keys without an owner (one row). */
  by_owner: { owner_id: string | null; name: string | null; usage: OverviewUsage }[];
  /** name/key_prefix are null for a key that no longer exists. */
  top_keys: { key_id: string; name: string | null; key_prefix: string | null; usage: OverviewUsage }[];
  /** The current month's days with usage, per model (the roll-ups are daily: no hourly series). */
  daily: OverviewDayRow[];
}

export interface RequestLogItem {
  id: string;
  created_at: string;
  key_id: string;
  key_name: string | null;
  key_prefix: string | null;
  model: string;
  endpoint: string;
  status: number;
  /** Refused by the proxy before forwarding (429 quota, 503 ledger unreachable). */
  refused: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  duration_ms: number;
  gpu_seconds: number | null;
}

export interface RequestLogPage {
  items: RequestLogItem[];
  next_cursor: string | null;
}

/** The request log's filters; empty strings are left out. `from`/`to` are ISO instants, `to` exclusive. */
export interface RequestLogFilter {
  key_id?: string;
  model?: string;
  endpoint?: string;
  status?: string;
  from?: string;
  to?: string;
}

export interface OllamaModel {
  name: string;
  size?: number;
  modified_at?: string;
}

export interface ProxyInfo {
  base_url: string;
  openai_base_url: string;
  examples?: Record<string, string>;
}

/** RFC 7807 problem details. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Record<string, string[]>;
}
