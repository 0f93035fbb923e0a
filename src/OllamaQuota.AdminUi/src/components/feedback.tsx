import type { ReactNode } from 'react';
import { isApiError } from '../api/client';
import { useI18n, type Translate } from '../i18n';

/** The message to show for an error: problem `detail`, else `title`, else a generic text. */
export function errorMessage(e: unknown, t: Translate): string {
  if (isApiError(e)) {
    if (e.isNetworkError) return t('error.network');
    if (e.status === 401) return t('error.unauthorized');
    return e.detail || e.title || t('error.generic', { status: e.status });
  }
  if (e instanceof Error && e.message) return e.message;
  return t('error.generic', { status: '?' });
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Field errors from a problem's `errors`, keyed by our field names (matching "DailyTokens", "$.daily_tokens", …). */
export function fieldErrors(e: unknown, fields: readonly string[]): { byField: Record<string, string>; other: string[] } {
  const byField: Record<string, string> = {};
  const other: string[] = [];
  if (!isApiError(e) || !e.errors) return { byField, other };
  const lookup = new Map(fields.map((f) => [norm(f), f]));
  for (const [key, msgs] of Object.entries(e.errors)) {
    const list = Array.isArray(msgs) ? msgs : [String(msgs)];
    const field = lookup.get(norm(key.replace(/^\$\.?/, '').split('.').pop() ?? key));
    if (field) byField[field] = list.join(' ');
    else other.push(...list.map((m) => (key ? `${key}: ${m}` : m)));
  }
  return { byField, other };
}

/** An error box: the problem's message plus any field errors not shown next to a field. */
export function ErrorAlert({
  error,
  fields = [],
  onRetry,
  heading,
  testId = 'error-alert',
}: {
  error: unknown;
  fields?: readonly string[];
  onRetry?: () => void;
  heading?: string;
  testId?: string;
}) {
  const { t } = useI18n();
  if (!error) return null;
  const { other } = fieldErrors(error, fields);
  return (
    <div className="alert alert-error" role="alert" data-testid={testId}>
      {heading && <strong className="alert-heading">{heading}</strong>}
      <p>{errorMessage(error, t)}</p>
      {other.length > 0 && (
        <ul>
          {other.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="btn btn-secondary btn-sm" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading({ label, testId = 'loading' }: { label?: string; testId?: string }) {
  const { t } = useI18n();
  return (
    <div className="state state-loading" role="status" data-testid={testId}>
      <span className="spinner" aria-hidden="true" />
      <span>{label ?? t('common.loading')}</span>
    </div>
  );
}

export function Empty({ title, children, testId = 'empty' }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="state state-empty" data-testid={testId}>
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}
