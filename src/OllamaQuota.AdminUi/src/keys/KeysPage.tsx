import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { ApiKey, KeyListQuery, KeySort, KeyStatus, SortDir } from '../api/types';
import { useApi } from '../auth';
import { Empty, ErrorAlert, Loading } from '../components/feedback';
import { GpuTime } from '../components/GpuTime';
import { useNotice } from '../components/Notice';
import { StatusBadge } from '../components/StatusBadge';
import { InFlight } from '../components/InFlight';
import { UsageBar } from '../components/UsageBar';
import { useI18n, type MessageKey } from '../i18n';
import { hrefFor, navigate } from '../lib/router';
import { useLoad } from '../lib/useLoad';
import { CreateKeyDialog } from './CreateKeyDialog';
import { CreatedKeyDialog } from './CreatedKeyDialog';
import { KeyActions } from './KeyActions';
import { useKeyDialogs } from './useKeyDialogs';

/** Keys per page: a page's usage and in-flight figures are read for its keys only. */
const KEYS_PAGE_SIZE = 50;
/** How long the search waits after the last keystroke before it asks the server. */
const SEARCH_DELAY_MS = 300;
const STATUSES: KeyStatus[] = ['active', 'deactivated', 'expired', 'deleted'];

/** The server's direction when none is named: names and prefixes A to Z, dates newest first. */
const defaultDir = (sort: KeySort): SortDir => (sort === 'name' || sort === 'prefix' ? 'asc' : 'desc');

/** The table's columns; those with `sort` are sorted by the server, the usage figures are not sortable columns. */
const COLUMNS: { label: MessageKey; sort?: KeySort; className?: string }[] = [
  { label: 'keys.col.name', sort: 'name' },
  { label: 'keys.col.prefix', sort: 'prefix' },
  { label: 'keys.col.status' },
  { label: 'keys.col.created', sort: 'created' },
  { label: 'keys.col.expires', sort: 'expires' },
  { label: 'keys.col.inFlight' },
  { label: 'keys.col.minute', className: 'col-usage' },
  { label: 'keys.col.hour', className: 'col-usage' },
  { label: 'keys.col.today', className: 'col-usage' },
  { label: 'keys.col.month', className: 'col-usage' },
];

/** The key list, one page at a time: searched, filtered, sorted and paged by the server, the view kept in the URL. */
export function KeysPage({ query }: { query: KeyListQuery }) {
  const { t, fmtDate, fmtDateTime, fmtNumber } = useI18n();
  const api = useApi();
  const search = query.search ?? '';
  const status = query.status;
  const owner = query.owner_id;
  const sort = query.sort ?? 'created';
  const dir = query.dir ?? defaultDir(sort);
  const page = query.page ?? 1;
  const { data, loading, error, reload, setData } = useLoad(
    (signal) => api.listKeys({ search, status, owner_id: owner, sort: query.sort, dir: query.dir, page }, KEYS_PAGE_SIZE, signal),
    [api, search, status, owner, query.sort, query.dir, page],
  );
  const [draft, setDraft] = useState(search);
  // The search last put into the URL from the box; another one (back, forward, a link) replaces the box's text.
  const pushed = useRef(search);
  // The view as last asked for: the route catches up a moment later, and a search's pause may end in between. It
  // follows the route when the route changes (back, a link), not on each render.
  const latest = useRef(query);
  const href = hrefFor({ page: 'keys', query });
  const routed = useRef(href);
  if (routed.current !== href) {
    routed.current = href;
    latest.current = query;
  }
  const [creating, setCreating] = useState(false);
  // The plaintext key lives here, and only until its dialog closes.
  const [created, setCreated] = useState<{ name: string; plaintext: string } | null>(null);
  const [notice, showNotice] = useNotice();
  const replaceKey = useCallback(
    (key: ApiKey) =>
      setData((prev) => ({ total: prev?.total ?? 0, items: (prev?.items ?? []).map((k) => (k.id === key.id ? key : k)) })),
    [setData],
  );
  const actions = useKeyDialogs(showNotice, replaceKey);
  const searchId = useId();
  const statusId = useId();

  const show = (next: KeyListQuery, options?: { replace?: boolean }) => {
    latest.current = next;
    navigate({ page: 'keys', query: next }, options);
  };

  useEffect(() => {
    if (search === pushed.current) return;
    pushed.current = search;
    setDraft(search);
  }, [search]);

  // A new search starts at the first page; typing changes the URL in place rather than adding a step per pause.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (draft === (latest.current.search ?? '')) return;
      pushed.current = draft;
      show({ ...latest.current, search: draft || undefined, page: undefined }, { replace: true });
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft]);

  // Another page starts at its top, not where the pager was.
  const turnTo = (next: number) => {
    show({ ...latest.current, page: next });
    window.scrollTo?.(0, 0);
  };

  // A new status or order starts at the first page, with the search as typed so far.
  const refine = (change: KeyListQuery) => show({ ...latest.current, search: draft || undefined, ...change, page: undefined });
  const sortBy = (column: KeySort) =>
    refine({ sort: column, dir: column === sort ? (dir === 'asc' ? 'desc' : 'asc') : defaultDir(column) });

  const keys = data?.items;
  const total = data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / KEYS_PAGE_SIZE));
  const filtered = search !== '' || status !== undefined || owner !== undefined;
  // The toolbar stays while a filter is set (even one matching nothing), so that it can be changed back.
  const hasKeys = total > 0 || filtered || page > 1;
  const first = (page - 1) * KEYS_PAGE_SIZE + 1;

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
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              data-testid="keys-search"
            />
          </div>
          <div className="field field-inline">
            <label htmlFor={statusId} className="visually-hidden">
              {t('keys.statusFilter')}
            </label>
            <select
              id={statusId}
              value={status ?? 'all'}
              onChange={(e) => {
                const next = e.target.value as KeyStatus | 'all';
                refine({ status: next === 'all' ? undefined : next });
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
          {owner && (
            <span className="badge" data-testid="keys-owner-filter">
              {keys?.[0]?.owner_name ? t('keys.ownerFilter', { name: keys[0].owner_name }) : t('keys.ownerFilterUnnamed')}{' '}
              <button
                type="button"
                className="link-button"
                onClick={() => refine({ owner_id: undefined })}
                aria-label={t('keys.ownerFilterClear')}
                title={t('keys.ownerFilterClear')}
                data-testid="keys-owner-filter-clear"
              >
                ×
              </button>
            </span>
          )}
          <span className="muted toolbar-count" data-testid="keys-count">
            {keys && keys.length > 0
              ? t('keys.range', { first: fmtNumber(first), last: fmtNumber(first + keys.length - 1), total: fmtNumber(total) })
              : t('keys.none', { total: fmtNumber(total) })}
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
            onClick={() => show({ status: 'deleted' })}
            data-testid="keys-show-deleted"
          >
            {t('keys.showDeleted')}
          </button>
        </Empty>
      ) : keys && keys.length === 0 ? (
        <Empty title={t('keys.noMatch')} testId="keys-no-match">
          <button type="button" className="btn btn-secondary" onClick={() => show({ sort: query.sort, dir: query.dir })}>
            {t('keys.clearFilter')}
          </button>
        </Empty>
      ) : keys ? (
        <div className="table-wrap">
          <table className="keys-table" data-testid="keys-table">
            <thead>
              <tr>
                {COLUMNS.map(({ label, sort: column, className }) => {
                  if (!column) {
                    return (
                      <th key={label} scope="col" className={className}>
                        {t(label)}
                      </th>
                    );
                  }
                  const active = sort === column;
                  return (
                    <th
                      key={label}
                      scope="col"
                      className={className}
                      aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : undefined}
                    >
                      <button type="button" className="sort-button" onClick={() => sortBy(column)} data-testid={`sort-${column}`}>
                        {t(label)}
                        <span className={`sort-icon${active ? ' sort-active' : ''}`} aria-hidden="true">
                          {active ? (dir === 'asc' ? '▲' : '▼') : '↕'}
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
              {keys.map((k) => (
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

      {keys && pages > 1 && (
        <nav className="pager" aria-label={t('keys.paging')} data-testid="keys-pager">
          <button
            type="button"
            className="btn btn-secondary btn-sm"
            disabled={page <= 1 || loading}
            onClick={() => turnTo(page - 1)}
            data-testid="keys-prev"
          >
            ← {t('keys.prev')}
          </button>
          <span className="muted" data-testid="keys-page-of">
            {t('keys.pageOf', { page: fmtNumber(page), pages: fmtNumber(pages) })}
          </span>
          <button
            type="button"
            className="btn btn-secondary btn-sm"
            disabled={page >= pages || loading}
            onClick={() => turnTo(page + 1)}
            data-testid="keys-next"
          >
            {t('keys.next')} →
          </button>
        </nav>
      )}

      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(k) => {
            setCreating(false);
            // The new key goes where the server's order puts it (at the top of the default view).
            reload();
            setCreated({ name: k.name, plaintext: k.key });
          }}
        />
      )}
      {created && <CreatedKeyDialog name={created.name} plaintext={created.plaintext} onClose={() => setCreated(null)} />}
      {actions.dialogs}
    </section>
  );
}
