import { useId, useMemo, useState } from 'react';
import type { ApiKey, KeyStatus } from '../api/types';
import { Empty, ErrorAlert, Loading } from '../components/feedback';
import { GpuTime } from '../components/GpuTime';
import { useNotice } from '../components/Notice';
import { StatusBadge } from '../components/StatusBadge';
import { InFlight } from '../components/InFlight';
import { UsageBar } from '../components/UsageBar';
import { useI18n, type MessageKey } from '../i18n';
import { hrefFor } from '../lib/router';
import { CreateKeyDialog } from './CreateKeyDialog';
import { CreatedKeyDialog } from './CreatedKeyDialog';
import { KeyActions } from './KeyActions';
import { useKeys } from './KeysContext';
import { useKeyDialogs } from './useKeyDialogs';

export type SortColumn = 'name' | 'prefix' | 'status' | 'created' | 'expires' | 'inFlight' | 'minute' | 'hour' | 'today' | 'month';
export type SortDir = 'asc' | 'desc';
const STATUSES: KeyStatus[] = ['active', 'deactivated', 'expired', 'deleted'];
const STATUS_ORDER: Record<KeyStatus, number> = { active: 0, expired: 1, deactivated: 2, deleted: 3 };

/** Usage of the tighter limit as a ratio, so "near the limit" sorts above "big but unlimited". */
function pressure(used: { tokens: number; requests: number }, tokenLimit: number | null, requestLimit: number | null) {
  const ratios = [
    tokenLimit ? used.tokens / tokenLimit : tokenLimit === 0 ? Infinity : 0,
    requestLimit ? used.requests / requestLimit : requestLimit === 0 ? Infinity : 0,
  ];
  return Math.max(...ratios);
}

function compare(a: ApiKey, b: ApiKey, col: SortColumn): number {
  switch (col) {
    case 'name':
      return a.name.localeCompare(b.name, undefined, { sensitivity: 'base', numeric: true });
    case 'prefix':
      return a.key_prefix.localeCompare(b.key_prefix);
    case 'status':
      return STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
    case 'created':
      return Date.parse(a.created_at) - Date.parse(b.created_at);
    case 'expires': {
      // "Never" sorts after every date.
      const ea = a.expires_at ? Date.parse(a.expires_at) : Infinity;
      const eb = b.expires_at ? Date.parse(b.expires_at) : Infinity;
      return ea === eb ? 0 : ea < eb ? -1 : 1;
    }
    case 'inFlight':
      return a.in_flight - b.in_flight;
    case 'minute':
      return (
        pressure(a.usage.minute, a.tokens_per_minute, a.requests_per_minute) -
          pressure(b.usage.minute, b.tokens_per_minute, b.requests_per_minute) || a.usage.minute.tokens - b.usage.minute.tokens
      );
    case 'hour':
      return (
        pressure(a.usage.hour, a.tokens_per_hour, a.requests_per_hour) -
          pressure(b.usage.hour, b.tokens_per_hour, b.requests_per_hour) || a.usage.hour.tokens - b.usage.hour.tokens
      );
    case 'today':
      return (
        pressure(a.usage.today, a.daily_tokens, a.daily_requests) - pressure(b.usage.today, b.daily_tokens, b.daily_requests) ||
        a.usage.today.tokens - b.usage.today.tokens
      );
    case 'month':
      return (
        pressure(a.usage.month, a.monthly_tokens, a.monthly_requests) -
          pressure(b.usage.month, b.monthly_tokens, b.monthly_requests) || a.usage.month.tokens - b.usage.month.tokens
      );
  }
}

export function filterAndSort(
  keys: ApiKey[],
  query: string,
  status: KeyStatus | 'all',
  sort: { col: SortColumn; dir: SortDir },
): ApiKey[] {
  const q = query.trim().toLowerCase();
  const out = keys.filter(
    (k) =>
      // Deleted keys only when asked for by name: "all" means every key still in use.
      (status === 'all' ? k.status !== 'deleted' : k.status === status) &&
      (!q || k.name.toLowerCase().includes(q) || k.key_prefix.toLowerCase().includes(q)),
  );
  const sign = sort.dir === 'asc' ? 1 : -1;
  return out.sort((a, b) => sign * compare(a, b, sort.col) || a.name.localeCompare(b.name));
}

const COLUMNS: { col: SortColumn; label: MessageKey; className?: string }[] = [
  { col: 'name', label: 'keys.col.name' },
  { col: 'prefix', label: 'keys.col.prefix' },
  { col: 'status', label: 'keys.col.status' },
  { col: 'created', label: 'keys.col.created' },
  { col: 'expires', label: 'keys.col.expires' },
  { col: 'inFlight', label: 'keys.col.inFlight' },
  { col: 'minute', label: 'keys.col.minute', className: 'col-usage' },
  { col: 'hour', label: 'keys.col.hour', className: 'col-usage' },
  { col: 'today', label: 'keys.col.today', className: 'col-usage' },
  { col: 'month', label: 'keys.col.month', className: 'col-usage' },
];

export function KeysPage() {
  const { t, fmtDate, fmtDateTime, fmtNumber } = useI18n();
  const { keys, loading, error, reload, upsert, showDeleted } = useKeys();
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState<KeyStatus | 'all'>('all');
  const [sort, setSort] = useState<{ col: SortColumn; dir: SortDir }>({ col: 'created', dir: 'desc' });
  const [creating, setCreating] = useState(false);
  // The plaintext key lives here, and only until its dialog closes.
  const [created, setCreated] = useState<{ name: string; plaintext: string } | null>(null);
  const [notice, showNotice] = useNotice();
  const actions = useKeyDialogs(showNotice);
  const searchId = useId();
  const statusId = useId();

  const rows = useMemo(() => filterAndSort(keys ?? [], query, status, sort), [keys, query, status, sort]);

  const toggleSort = (col: SortColumn) =>
    setSort((s) =>
      s.col === col
        ? { col, dir: s.dir === 'asc' ? 'desc' : 'asc' }
        : { col, dir: col === 'name' || col === 'prefix' || col === 'status' ? 'asc' : 'desc' },
    );

  const inUse = keys?.filter((k) => k.status !== 'deleted').length ?? 0;
  // The toolbar stays while deleted keys are shown, so that the filter can be changed back.
  const hasKeys = inUse > 0 || status === 'deleted';

  return (
    <section className="page" aria-labelledby="keys-title" data-testid="keys-page">
      <header className="page-header">
        <div>
          <h1 id="keys-title">{t('keys.title')}</h1>
          <p className="muted">{t('keys.subtitle')}</p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)} data-testid="create-key-button">
          <span aria-hidden="true">+</span> {t('keys.create')}
        </button>
      </header>

      {notice}

      {hasKeys && (
        <div className="toolbar" role="search">
          <div className="field field-inline grow">
            <label htmlFor={searchId} className="visually-hidden">
              {t('keys.search')}
            </label>
            <input
              id={searchId}
              type="search"
              placeholder={t('keys.search')}
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              data-testid="keys-search"
            />
          </div>
          <div className="field field-inline">
            <label htmlFor={statusId} className="visually-hidden">
              {t('keys.statusFilter')}
            </label>
            <select
              id={statusId}
              value={status}
              onChange={(e) => {
                const next = e.target.value as KeyStatus | 'all';
                if (next === 'deleted') showDeleted();
                setStatus(next);
              }}
              data-testid="keys-status-filter"
            >
              <option value="all">{t('keys.statusAll')}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`status.${s}`)}
                </option>
              ))}
            </select>
          </div>
          <span className="muted toolbar-count" data-testid="keys-count">
            {t('keys.count', { shown: fmtNumber(rows.length), total: fmtNumber(inUse) })}
          </span>
          <button type="button" className="btn btn-ghost btn-sm" onClick={reload} disabled={loading} data-testid="keys-refresh">
            <span aria-hidden="true">↻</span> {t('keys.refresh')}
          </button>
        </div>
      )}

      {error != null && (
        <ErrorAlert error={error} heading={t('keys.loadError')} onRetry={reload} testId="keys-error" />
      )}

      {loading && !keys ? (
        <Loading testId="keys-loading" />
      ) : keys && !hasKeys ? (
        <Empty title={t('keys.empty')} testId="keys-empty">
          <p className="muted">{t('keys.emptyHint')}</p>
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            {t('keys.create')}
          </button>{' '}
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => {
              showDeleted();
              setStatus('deleted');
            }}
            data-testid="keys-show-deleted"
          >
            {t('keys.showDeleted')}
          </button>
        </Empty>
      ) : keys && rows.length === 0 ? (
        <Empty title={t('keys.noMatch')} testId="keys-no-match">
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => {
              setQuery('');
              setStatus('all');
            }}
          >
            {t('keys.clearFilter')}
          </button>
        </Empty>
      ) : keys ? (
        <div className="table-wrap">
          <table className="keys-table" data-testid="keys-table">
            <thead>
              <tr>
                {COLUMNS.map(({ col, label, className }) => {
                  const active = sort.col === col;
                  return (
                    <th
                      key={col}
                      scope="col"
                      className={className}
                      aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
                    >
                      <button type="button" className="sort-button" onClick={() => toggleSort(col)} data-testid={`sort-${col}`}>
                        {t(label)}
                        <span className={`sort-icon${active ? ' sort-active' : ''}`} aria-hidden="true">
                          {active ? (sort.dir === 'asc' ? '▲' : '▼') : '↕'}
                        </span>
                      </button>
                    </th>
                  );
                })}
                <th scope="col">
                  <span className="visually-hidden">{t('keys.col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((k) => (
                <tr key={k.id} data-testid="key-row" data-key-id={k.id} data-key-name={k.name} data-status={k.status}>
                  <th scope="row" data-label={t('keys.col.name')}>
                    <a href={hrefFor({ page: 'key', id: k.id })} className="key-name" data-testid="key-name">
                      {k.name}
                    </a>
                    {k.owner_name && (
                      <div className="muted" data-testid="key-owner">
                        {t('owners.ofOwner', { name: k.owner_name })}
                      </div>
                    )}
                  </th>
                  <td data-label={t('keys.col.prefix')}>
                    <code className="prefix" data-testid="key-prefix">
                      {k.key_prefix}…
                    </code>
                  </td>
                  <td data-label={t('keys.col.status')}>
                    <StatusBadge status={k.status} />
                  </td>
                  <td data-label={t('keys.col.created')}>
                    <time dateTime={k.created_at} title={fmtDateTime(k.created_at)} data-testid="key-created">
                      {fmtDate(k.created_at)}
                    </time>
                  </td>
                  <td data-label={t('keys.col.expires')}>
                    {k.expires_at ? (
                      <time dateTime={k.expires_at} title={fmtDateTime(k.expires_at)} data-testid="key-expires">
                        {fmtDate(k.expires_at)}
                      </time>
                    ) : (
                      <span className="muted" data-testid="key-expires">
                        {t('common.never')}
                      </span>
                    )}
                  </td>
                  <td data-label={t('keys.col.inFlight')}>
                    <InFlight count={k.in_flight} limit={k.max_concurrent_requests} />
                  </td>
                  <td data-label={t('keys.col.minute')} className="col-usage">
                    <UsageBar used={k.usage.minute.tokens} limit={k.tokens_per_minute} metric="tokens" period="minute" testId="usage-minute-tokens" compact />
                    <UsageBar used={k.usage.minute.requests} limit={k.requests_per_minute} metric="requests" period="minute" testId="usage-minute-requests" compact />
                  </td>
                  <td data-label={t('keys.col.hour')} className="col-usage">
                    <UsageBar used={k.usage.hour.tokens} limit={k.tokens_per_hour} metric="tokens" period="hour" testId="usage-hour-tokens" compact />
                    <UsageBar used={k.usage.hour.requests} limit={k.requests_per_hour} metric="requests" period="hour" testId="usage-hour-requests" compact />
                  </td>
                  <td data-label={t('keys.col.today')} className="col-usage">
                    <UsageBar used={k.usage.today.tokens} limit={k.daily_tokens} metric="tokens" period="today" testId="usage-today-tokens" compact />
                    <UsageBar used={k.usage.today.requests} limit={k.daily_requests} metric="requests" period="today" testId="usage-today-requests" compact />
                    <GpuTime usage={k.usage.today} testId="gpu-today" />
                  </td>
                  <td data-label={t('keys.col.month')} className="col-usage">
                    <UsageBar used={k.usage.month.tokens} limit={k.monthly_tokens} metric="tokens" period="month" testId="usage-month-tokens" compact />
                    <UsageBar used={k.usage.month.requests} limit={k.monthly_requests} metric="requests" period="month" testId="usage-month-requests" compact />
                    <GpuTime usage={k.usage.month} testId="gpu-month" />
                  </td>
                  <td className="col-actions">
                    <div className="row-actions" role="group" aria-label={t('keys.actionsFor', { name: k.name })}>
                      <a className="btn btn-ghost btn-sm" href={hrefFor({ page: 'key', id: k.id })} data-testid="key-detail-button">
                        {t('keys.details')}
                      </a>
                      <KeyActions apiKey={k} actions={actions} small />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false);
            upsert(k);
            setCreated({ name: k.name, plaintext: k.key });
          }}
        />
      )}
      {created && <CreatedKeyDialog name={created.name} plaintext={created.plaintext} onClose={() => setCreated(null)} />}
      {actions.dialogs}
    </section>
  );
}
