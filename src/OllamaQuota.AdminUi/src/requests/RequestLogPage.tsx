import { useEffect, useId, useState, type FormEvent } from 'react';
import type { RequestLogFilter, RequestLogItem } from '../api/types';
import { useApi } from '../auth';
import { Empty, ErrorAlert, Loading } from '../components/feedback';
import { useI18n, type MessageKey } from '../i18n';
import { hrefFor } from '../lib/router';
import { formatGpuSeconds } from '../lib/usage';

type Field = keyof RequestLogFilter;
const TEXT_FIELDS: { field: Field; label: MessageKey; placeholder?: string; inputMode?: 'numeric' }[] = [
  { field: 'key_id', label: 'requests.keyId' },
  { field: 'model', label: 'requests.model', placeholder: 'llama3' },
  { field: 'endpoint', label: 'requests.endpoint', placeholder: '/api/chat' },
  { field: 'status', label: 'requests.status', placeholder: '429', inputMode: 'numeric' },
];

/** A `datetime-local` value (the browser's time) as an ISO instant, or undefined. */
function toInstant(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Recent usage events, filtered and paged by the server, newest first; the same filter downloads as CSV. */
export default function RequestLogPage({ keyId }: { keyId?: string }) {
  const { t, locale, fmtNumber, fmtDateTime } = useI18n();
  const api = useApi();
  const formId = useId();
  const [draft, setDraft] = useState<RequestLogFilter>({ key_id: keyId });
  const [filter, setFilter] = useState<RequestLogFilter>({ key_id: keyId });
  const [items, setItems] = useState<RequestLogItem[] | undefined>(undefined);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [nonce, setNonce] = useState(0);
  const [csvBusy, setCsvBusy] = useState(false);
  const [csvError, setCsvError] = useState<unknown>(null);

  useEffect(() => {
    setDraft((d) => ({ ...d, key_id: keyId }));
    setFilter((f) => ({ ...f, key_id: keyId }));
  }, [keyId]);

  const query: RequestLogFilter = { ...filter, from: toInstant(filter.from), to: toInstant(filter.to) };
  const queryKey = JSON.stringify(query);

  // The first page of the applied filter.
  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    api
      .requestLog(JSON.parse(queryKey) as RequestLogFilter, undefined, ctrl.signal)
      .then((page) => {
        setItems(page.items);
        setCursor(page.next_cursor);
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setError(e);
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setLoading(false);
      });
    return () => ctrl.abort();
  }, [api, queryKey, nonce]);

  const more = async () => {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await api.requestLog(query, cursor);
      setItems((prev) => [...(prev ?? []), ...page.items]);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ ...draft });
  };

  const clear = () => {
    setDraft({});
    setFilter({});
  };

  const downloadCsv = async () => {
    setCsvBusy(true);
    setCsvError(null);
    try {
      const blob = await api.requestLogCsv(query);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = 'requests.csv';
      document.body.appendChild(a);
      a.click();
      a.remove();
      URL.revokeObjectURL(url);
    } catch (e) {
      setCsvError(e);
    } finally {
      setCsvBusy(false);
    }
  };

  const only = (field: Field, value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setFilter((f) => ({ ...f, [field]: value }));
  };

  return (
    <section className="page" aria-labelledby="requests-title" data-testid="requests-page">
      <header className="page-header">
        <div>
          <h1 id="requests-title">{t('requests.title')}</h1>
          <p className="muted">{t('requests.subtitle')}</p>
        </div>
        <button type="button" className="btn btn-secondary" onClick={downloadCsv} disabled={csvBusy} data-testid="requests-csv">
          {csvBusy ? t('requests.csvWorking') : t('requests.csv')}
        </button>
      </header>

      {csvError != null && <ErrorAlert error={csvError} heading={t('requests.loadError')} testId="requests-csv-error" />}

      <form className="toolbar wrap" role="search" aria-label={t('requests.filters')} onSubmit={apply} data-testid="requests-filters">
        {TEXT_FIELDS.map(({ field, label, placeholder, inputMode }) => (
          <div key={field} className="field field-inline">
            <label htmlFor={`${formId}-${field}`}>{t(label)}</label>
            <input
              id={`${formId}-${field}`}
              type="text"
              value={draft[field] ?? ''}
              placeholder={placeholder}
              inputMode={inputMode}
              onChange={(e) => setDraft((d) => ({ ...d, [field]: e.target.value }))}
              data-testid={`requests-filter-${field}`}
            />
          </div>
        ))}
        {(['from', 'to'] as const).map((field) => (
          <div key={field} className="field field-inline">
            <label htmlFor={`${formId}-${field}`}>{t(`requests.${field}`)}</label>
            <input
              id={`${formId}-${field}`}
              type="datetime-local"
              value={draft[field] ?? ''}
              onChange={(e) => setDraft((d) => ({ ...d, [field]: e.target.value }))}
              data-testid={`requests-filter-${field}`}
            />
          </div>
        ))}
        <button type="submit" className="btn btn-primary btn-sm" data-testid="requests-apply">
          {t('requests.apply')}
        </button>
        <button type="button" className="btn btn-ghost btn-sm" onClick={clear} data-testid="requests-clear">
          {t('requests.clear')}
        </button>
      </form>

      {error != null && <ErrorAlert error={error} heading={t('requests.loadError')} onRetry={() => setNonce((n) => n + 1)} testId="requests-error" />}

      {items === undefined ? (
        loading && <Loading testId="requests-loading" />
      ) : items.length === 0 ? (
        <Empty title={t('requests.empty')} testId="requests-empty" />
      ) : (
        <>
          <div className="table-wrap">
            <table className="keys-table" data-testid="requests-table">
              <thead>
                <tr>
                  <th scope="col">{t('requests.col.time')}</th>
                  <th scope="col">{t('requests.col.key')}</th>
                  <th scope="col">{t('requests.col.model')}</th>
                  <th scope="col">{t('requests.col.endpoint')}</th>
                  <th scope="col">{t('requests.col.status')}</th>
                  <th scope="col" className="num">{t('requests.col.tokens')}</th>
                  <th scope="col" className="num">{t('requests.col.duration')}</th>
                  <th scope="col" className="num">{t('requests.col.gpu')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id} data-testid="request-row" data-key-id={r.key_id} data-status={r.status} data-model={r.model}>
                    <td data-label={t('requests.col.time')}>
                      <time dateTime={r.created_at}>{fmtDateTime(r.created_at)}</time>
                    </td>
                    <td data-label={t('requests.col.key')}>
                      {r.key_name != null ? (
                        <a href={hrefFor({ page: 'key', id: r.key_id })} data-testid="request-key-name">
                          {r.key_name}
                        </a>
                      ) : (
                        <span className="muted">{t('overview.deletedKey')}</span>
                      )}{' '}
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm"
                        onClick={() => only('key_id', r.key_id)}
                        title={t('requests.filterKey')}
                        aria-label={`${t('requests.filterKey')}: ${r.key_name ?? r.key_id}`}
                        data-testid="request-filter-key"
                      >
                        ⏷
                      </button>
                    </td>
                    <td data-label={t('requests.col.model')}>
                      <button type="button" className="link-button" onClick={() => only('model', r.model)} data-testid="request-model">
                        {r.model}
                      </button>
                    </td>
                    <td data-label={t('requests.col.endpoint')}>
                      <code>{r.endpoint}</code>
                    </td>
                    <td data-label={t('requests.col.status')} data-testid="request-status">
                      {r.status}
                      {r.refused && <span className="badge badge-warn"> {t('requests.refused')}</span>}
                    </td>
                    <td className="num" data-label={t('requests.col.tokens')} data-testid="request-tokens">
                      {fmtNumber(r.prompt_tokens)} / {fmtNumber(r.completion_tokens)}
                    </td>
                    <td className="num" data-label={t('requests.col.duration')}>
                      {fmtNumber(r.duration_ms)} ms
                    </td>
                    <td className="num" data-label={t('requests.col.gpu')}>
                      {r.gpu_seconds == null ? '—' : formatGpuSeconds(r.gpu_seconds, locale)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="toolbar">
            <span className="muted" data-testid="requests-count">
              {t('requests.shown', { count: fmtNumber(items.length) })}
            </span>
            {cursor && (
              <button type="button" className="btn btn-secondary btn-sm" onClick={more} disabled={loading} data-testid="requests-more">
                {t('requests.more')}
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
