import { useId, useState, type FormEvent } from 'react';
import { AUDIT_ACTIONS, type AuditEvent, type AuditQuery } from '../api/types';
import { useApi } from '../auth';
import { Empty, ErrorAlert, Loading } from '../components/feedback';
import { useI18n } from '../i18n';
import { hrefFor } from '../lib/router';
import { useLoad } from '../lib/useLoad';
import { changesOf, fieldLabel, formatValue } from './changes';

const PAGE_SIZE = 50;

interface Filters {
  action: string;
  target: string;
  from: string;
  to: string;
}

/** A day picked in the browser's time zone, from its first instant (or to the first instant of the next day). */
function dayStart(day: string, next = false): string | undefined {
  if (!day) return undefined;
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + (next ? 1 : 0)).toISOString();
}

function toQuery(f: Filters): AuditQuery {
  return {
    action: f.action || undefined,
    target_id: f.target.trim() || undefined,
    from: dayStart(f.from),
    to: dayStart(f.to, true),
    page_size: PAGE_SIZE,
  };
}

/** The audit log: every admin change, newest first, filtered and paged on the server. */
export function AuditPage({ target }: { target?: string }) {
  const { t, fmtDateTime, fmtNumber } = useI18n();
  const api = useApi();
  const id = useId();
  const initial: Filters = { action: '', target: target ?? '', from: '', to: '' };
  const [draft, setDraft] = useState<Filters>(initial);
  const [applied, setApplied] = useState<Filters>(initial);
  // The cursors of the pages before this one, to go back; the current page's own cursor last.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    (signal) => api.listAudit({ ...toQuery(applied), cursor }, signal),
    [api, applied, cursor],
  );

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(draft);
    setCursors([undefined]);
  };
  const set = (field: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [field]: e.target.value }));

  const targetOf = (event: AuditEvent) =>
    event.target_type === 'api_key' && event.target_id ? (
      <a href={hrefFor({ page: 'key', id: event.target_id })} data-testid="audit-target">
        {event.target_name ?? event.target_id}
      </a>
    ) : (
      <span data-testid="audit-target">{event.target_type === 'settings' ? t('nav.settings') : (event.target_name ?? event.target_type)}</span>
    );

  return (
    <section className="page" aria-labelledby="audit-title" data-testid="audit-page">
      <header className="page-header">
        <div>
          <h1 id="audit-title">{t('audit.title')}</h1>
          <p className="muted">{t('audit.subtitle')}</p>
        </div>
      </header>

      <form className="toolbar" role="search" onSubmit={onSubmit} data-testid="audit-filters">
        <div className="field field-inline">
          <label htmlFor={`${id}-action`}>{t('audit.filter.action')}</label>
          <select id={`${id}-action`} value={draft.action} onChange={set('action')} data-testid="audit-filter-action">
            <option value="">{t('audit.filter.allActions')}</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {t(`audit.action.${a}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-inline grow">
          <label htmlFor={`${id}-target`}>{t('audit.filter.target')}</label>
          <input id={`${id}-target`} value={draft.target} onChange={set('target')} placeholder={t('audit.filter.targetHint')} data-testid="audit-filter-target" />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-from`}>{t('audit.filter.from')}</label>
          <input id={`${id}-from`} type="date" value={draft.from} onChange={set('from')} data-testid="audit-filter-from" />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-to`}>{t('audit.filter.to')}</label>
          <input id={`${id}-to`} type="date" value={draft.to} onChange={set('to')} data-testid="audit-filter-to" />
        </div>
        <button type="submit" className="btn btn-secondary btn-sm" data-testid="audit-apply">
          {t('audit.filter.apply')}
        </button>
      </form>

      {page.error != null && <ErrorAlert error={page.error} heading={t('audit.loadError')} onRetry={page.reload} testId="audit-error" />}

      {page.loading && !page.data ? (
        <Loading testId="audit-loading" />
      ) : page.data && page.data.items.length === 0 ? (
        <Empty title={t('audit.empty')} testId="audit-empty" />
      ) : page.data ? (
        <>
          <div className="table-wrap">
            <table className="audit-table" data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col">{t('audit.col.time')}</th>
                  <th scope="col">{t('audit.col.action')}</th>
                  <th scope="col">{t('audit.col.target')}</th>
                  <th scope="col">{t('audit.col.changes')}</th>
                  <th scope="col">{t('audit.col.by')}</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((event) => (
                  <tr key={event.id} data-testid="audit-row" data-action={event.action} data-target-id={event.target_id ?? ''}>
                    <td data-label={t('audit.col.time')}>
                      <time dateTime={event.occurred_at}>{fmtDateTime(event.occurred_at)}</time>
                    </td>
                    <td data-label={t('audit.col.action')} data-testid="audit-action">
                      {t(`audit.action.${event.action}`)}
                    </td>
                    <td data-label={t('audit.col.target')}>{targetOf(event)}</td>
                    <td data-label={t('audit.col.changes')}>
                      <ul className="audit-changes" data-testid="audit-changes">
                        {changesOf(event).map((c) => (
                          <li key={c.field} data-field={c.field}>
                            <span className="audit-field">{fieldLabel(c.field, t)}:</span>{' '}
                            {event.before && (
                              <>
                                <span className="audit-before">{formatValue(c.field, c.before, t, { fmtNumber, fmtDateTime })}</span>
                                <span aria-label={t('audit.becomes')}> → </span>
                              </>
                            )}
                            <span className="audit-after">{formatValue(c.field, c.after, t, { fmtNumber, fmtDateTime })}</span>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td data-label={t('audit.col.by')} data-testid="audit-by">
                      {event.actor}
                      {event.caller_address && <span className="muted"> · {event.caller_address}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label={t('audit.paging')}>
            <button
              type="button"
              className="btn btn-secondary btn-sm"
              disabled={cursors.length === 1 || page.loading}
              onClick={() => setCursors((c) => c.slice(0, -1))}
              data-testid="audit-newer"
            >
              ← {t('audit.newer')}
            </button>
            <button
              type="button"
              className="btn btn-secondary btn-sm"
              disabled={!page.data.next_cursor || page.loading}
              onClick={() => setCursors((c) => [...c, page.data!.next_cursor!])}
              data-testid="audit-older"
            >
              {t('audit.older')} →
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}
