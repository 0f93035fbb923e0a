import { useState } from 'react';
import type { Owner } from '../api/types';
import { useApi } from '../auth';
import { Empty, ErrorAlert, Loading } from '../components/feedback';
import { InFlight } from '../components/InFlight';
import { useNotice } from '../components/Notice';
import { UsageBar } from '../components/UsageBar';
import { useI18n } from '../i18n';
import { hrefFor } from '../lib/router';
import { useLoad } from '../lib/useLoad';
import { DeleteOwnerDialog } from './DeleteOwnerDialog';
import { OwnerDialog } from './OwnerDialog';

/** Keys named in an owner's row; the keys page lists all of them, a page at a time. */
const KEYS_NAMED = 5;

/** Owners: people or teams holding keys, with limits across all of their keys, and the usage of the keys they hold. */
export function OwnersPage() {
  const { t, fmtNumber } = useI18n();
  const api = useApi();
  const { data: owners, loading, error, reload } = useLoad((signal) => api.listOwners(signal), [api]);
  const [editing, setEditing] = useState<Owner | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Owner | null>(null);
  const [notice, showNotice] = useNotice();

  return (
    <section className="page" aria-labelledby="owners-title" data-testid="owners-page">
      <header className="page-header">
        <div>
          <h1 id="owners-title">{t('owners.title')}</h1>
          <p className="muted">{t('owners.subtitle')}</p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} data-testid="create-owner-button">
          <span aria-hidden="true">+</span> {t('owners.create')}
        </button>
      </header>

      {notice}

      {error ? (
        <ErrorAlert error={error} />
      ) : loading && !owners ? (
        <Loading />
      ) : owners && owners.length === 0 ? (
        <Empty title={t('owners.empty')} testId="owners-empty">
          <p>{t('owners.emptyHint')}</p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="owners-table">
            <thead>
              <tr>
                <th scope="col">{t('keys.col.name')}</th>
                <th scope="col">{t('owners.keys')}</th>
                <th scope="col">{t('keys.col.inFlight')}</th>
                <th scope="col" className="col-usage">{t('keys.col.today')}</th>
                <th scope="col" className="col-usage">{t('keys.col.month')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('keys.col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(owners ?? []).map((o) => (
                <tr key={o.id} data-testid="owner-row" data-owner-id={o.id} data-owner-name={o.name}>
                  <th scope="row" data-label={t('keys.col.name')}>
                    <span className="key-name">{o.name}</span>
                    {o.contact && <div className="muted">{o.contact}</div>}
                  </th>
                  <td data-label={t('owners.keys')} data-testid="owner-keys">
                    {o.key_count === 0 ? (
                      <span className="muted">{t('owners.noKeys')}</span>
                    ) : (
                      <>
                        {o.keys.slice(0, KEYS_NAMED).map((k, i) => (
                          <span key={k.id}>
                            {i > 0 && ', '}
                            <a href={hrefFor({ page: 'key', id: k.id })}>{k.name}</a>
                          </span>
                        ))}
                        {o.key_count > Math.min(o.keys.length, KEYS_NAMED) && (
                          <>
                            {' · '}
                            <a href={hrefFor({ page: 'keys', query: { owner_id: o.id } })} data-testid="owner-all-keys">
                              {t('owners.allKeys', { count: fmtNumber(o.key_count) })}
                            </a>
                          </>
                        )}
                      </>
                    )}
                  </td>
                  <td data-label={t('keys.col.inFlight')}>
                    <InFlight count={o.in_flight} limit={o.max_concurrent_requests} testId="owner-in-flight" />
                  </td>
                  <td data-label={t('keys.col.today')} className="col-usage">
                    <UsageBar used={o.usage.today.tokens} limit={o.daily_tokens} metric="tokens" period="today" testId="owner-usage-today-tokens" compact />
                    <UsageBar used={o.usage.today.requests} limit={o.daily_requests} metric="requests" period="today" testId="owner-usage-today-requests" compact />
                  </td>
                  <td data-label={t('keys.col.month')} className="col-usage">
                    <UsageBar used={o.usage.month.tokens} limit={o.monthly_tokens} metric="tokens" period="month" testId="owner-usage-month-tokens" compact />
                    <UsageBar used={o.usage.month.requests} limit={o.monthly_requests} metric="requests" period="month" testId="owner-usage-month-requests" compact />
                  </td>
                  <td className="col-actions">
                    <div className="row-actions" role="group" aria-label={t('keys.actionsFor', { name: o.name })}>
                      <button type="button" className="btn btn-secondary btn-sm" onClick={() => setEditing(o)} data-testid="edit-owner-button">
                        {t('owners.edit')}
                      </button>
                      <button type="button" className="btn btn-danger-outline btn-sm" onClick={() => setDeleting(o)} data-testid="delete-owner-button">
                        {t('owners.delete')}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {editing && (
        <OwnerDialog
          owner={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            showNotice(t('owners.saved', { name: saved.name }));
            reload();
          }}
        />
      )}
      {deleting && (
        <DeleteOwnerDialog
          owner={deleting}
          onClose={() => setDeleting(null)}
          onDone={() => {
            showNotice(t('owners.deleted', { name: deleting.name }));
            setDeleting(null);
            reload();
          }}
        />
      )}
    </section>
  );
}
