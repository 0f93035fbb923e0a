import type { AuditEvent } from '../api/types';
import type { MessageKey, Translate } from '../i18n';

export interface Change {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * The fields an event changed, in a stable order; on create (no before) the fields it was created with, less those
 * still empty where empty says nothing (no deactivation, no rotation yet).
 */
export function changesOf(event: AuditEvent): Change[] {
  const before = event.before ?? {};
  const after = event.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields
    .map((field) => ({ field, before: before[field], after: after[field] }))
    .filter((c) => event.before || c.after != null || c.field in NULL_MEANS);
}

const FIELD_LABELS: Record<string, MessageKey> = {
  name: 'create.name',
  status: 'keys.col.status',
  key_prefix: 'keys.col.prefix',
  expires_at: 'keys.col.expires',
  created_at: 'keys.col.created',
  deactivated_at: 'detail.deactivatedAt',
  deleted_at: 'detail.deletedAt',
  rotated_at: 'detail.rotatedAt',
  previous_key_prefix: 'audit.field.previous_key_prefix',
  previous_key_expires_at: 'audit.field.previous_key_expires_at',
  allowed_models: 'models.allowed',
  daily_tokens: 'limits.daily_tokens',
  monthly_tokens: 'limits.monthly_tokens',
  daily_requests: 'limits.daily_requests',
  monthly_requests: 'limits.monthly_requests',
  ollama_url: 'settings.ollamaUrl',
  default_model: 'settings.defaultModel',
  max_keep_alive: 'guardrails.max_keep_alive',
  num_ctx: 'guardrails.num_ctx',
  max_images_per_request: 'guardrails.max_images_per_request',
  max_image_bytes: 'guardrails.max_image_bytes',
};

/** A field's label in the UI's language; a field the UI does not know (added later to the API) by its wire name. */
export function fieldLabel(field: string, t: Translate): string {
  const key = FIELD_LABELS[field];
  return key ? t(key) : field.replace(/_/g, ' ');
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

// Fields where null has a meaning of its own.
const NULL_MEANS: Record<string, MessageKey> = {
  daily_tokens: 'common.unlimited',
  monthly_tokens: 'common.unlimited',
  daily_requests: 'common.unlimited',
  monthly_requests: 'common.unlimited',
  expires_at: 'common.never',
};

/** A value as a person reads it: dates in the UI's language, lists joined, nothing as a dash. */
export function formatValue(
  field: string,
  value: unknown,
  t: Translate,
  fmt: { fmtNumber: (n: number) => string; fmtDateTime: (iso: string) => string },
): string {
  if (value === null || value === undefined) return NULL_MEANS[field] ? t(NULL_MEANS[field]) : '—';
  if (typeof value === 'number') return fmt.fmtNumber(value);
  if (typeof value === 'string') {
    if (ISO_INSTANT.test(value)) return fmt.fmtDateTime(value);
    if (value === 'active' || value === 'deactivated' || value === 'expired' || value === 'deleted') return t(`status.${value}`);
    return value;
  }
  if (Array.isArray(value)) return value.length === 0 ? (field === 'allowed_models' ? t('audit.allModels') : '—') : value.map(String).join(', ');
  return JSON.stringify(value);
}
