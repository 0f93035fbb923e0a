import { useCallback, useMemo } from 'react';
import { LIMIT_FIELDS, type DailyUsageRow, type MonthlyUsageRow } from '../api/types';
import { isApiError } from '../api/client';
import { useApi } from '../auth';
import { Empty, ErrorAlert, Loading } from '../components/feedback';
import { GpuTime } from '../components/GpuTime';
import { useNotice } from '../components/Notice';
import { StatusBadge } from '../components/StatusBadge';
import { InFlight } from '../components/InFlight';
import { UsageBar } from '../components/UsageBar';
import { useI18n } from '../i18n';
import { hrefFor } from '../lib/router';
import { dailyPeriods, formatChartDay, monthlyPeriods } from '../lib/usage';
import { useLoad } from '../lib/useLoad';
import { KeyActions } from './KeyActions';
import { graceRunning } from './RotateKeyDialog';
import { UsageChart } from './UsageChart';
import { useKeyDialogs } from './useKeyDialogs';

const DAYS = 30;
const MONTHS = 12;
const dayOf = (r: DailyUsageRow) => r.day;
const monthOf = (r: MonthlyUsageRow) => r.month;

export default function KeyDetailPage({ id }: { id: string }) {
  const { t, locale, fmtDateTime, fmtNumber } = useI18n();
  const api = useApi();
  // One key by id, deleted ones too (the audit log links to them).
  const { data, loading, error, reload, setData } = useLoad((signal) => api.getKey(id, signal), [api, id]);
  const key = data?.id === id ? data : undefined;
  const [notice, showNotice] = useNotice();
  const actions = useKeyDialogs(showNotice, setData);
  const notFound = isApiError(error) && error.status === 404;

  const daily = useLoad((signal) => api.dailyUsage(id, DAYS, signal), [api, id]);
  const monthly = useLoad((signal) => api.monthlyUsage(id, MONTHS, signal), [api, id]);

  const dayPeriods = useMemo(() => dailyPeriods(daily.data ?? [], DAYS), [daily.data]);
  const monthPeriods = useMemo(() => monthlyPeriods(monthly.data ?? [], MONTHS), [monthly.data]);

  const formatDay = useCallback((d: string, long?: boolean) => formatChartDay(d, locale, long), [locale]);
  const formatMonth = useCallback(
    (m: string, long?: boolean) =>
      new Intl.DateTimeFormat(locale, { month: long ? 'long' : 'short', year: long ? 'numeric' : '2-digit', timeZone: 'UTC' }).format(
        new Date(`${m}-01T00:00:00Z`),
      ),
    [locale],
  );

  return (
    <section className="page" data-testid="key-detail" data-key-id={id}>
      <a className="back-link" href={hrefFor({ page: 'keys' })} data-testid="back-to-keys">
        ← {t('detail.back')}
      </a>

      {notice}

      {notFound ? (
        <Empty title={t('detail.notFound')} testId="key-not-found" />
      ) : error != null && !key ? (
        <ErrorAlert error={error} heading={t('keys.loadError')} onRetry={reload} />
      ) : loading && !key ? (
        <Loading />
      ) : !key ? null : (
        <>
          <header className="page-header">
            <div>
              <h1 className="with-badge">
                <span data-testid="detail-key-name">{key.name}</span> <StatusBadge status={key.status} />
              </h1>
              <p className="muted">
                <code className="prefix">{key.key_prefix}…</code>
                {' · '}
                {t('detail.createdAt')} {fmtDateTime(key.created_at)}
                {' · '}
                {t('detail.expiresAt')} {key.expires_at ? fmtDateTime(key.expires_at) : t('common.never')}
                {key.deactivated_at && (
                  <>
                    {' · '}
                    {t('detail.deactivatedAt')} {fmtDateTime(key.deactivated_at)}
                  </>
                )}
                {' · '}
                <span data-testid="detail-key-owner">
                  {key.owner_name ? t('owners.ofOwner', { name: key.owner_name }) : t('owners.onItsOwn')}
                </span>
                {key.deleted_at && (
                  <>
                    {' · '}
                    {t('detail.deletedAt')} {fmtDateTime(key.deleted_at)}
                  </>
                )}
                {key.rotated_at && (
                  <>
                    {' · '}
                    {t('detail.rotatedAt')} {fmtDateTime(key.rotated_at)}
                  </>
                )}
              </p>
              {graceRunning(key) && (
                <p className="muted" data-testid="detail-grace">
                  {t('detail.graceRunning', {
                    prefix: `${key.previous_key_prefix}…`,
                    until: fmtDateTime(key.previous_key_expires_at!),
                  })}
                </p>
              )}
              <a href={hrefFor({ page: 'audit', target: key.id })} data-testid="detail-audit-link">
                {t('detail.history')}
              </a>
            </div>
            <div className="header-actions">
              <KeyActions apiKey={key} actions={actions} withDelete />
            </div>
          </header>

          <section className="card limits-card" aria-labelledby="key-limits-title" data-testid="key-limits">
            <h2 className="card-title" id="key-limits-title">
              {t('detail.limits')}
            </h2>
            <dl className="limits-list">
              {LIMIT_FIELDS.map((f) => (
                <div key={f} className="limits-item" data-testid={`limit-${f.replaceAll('_', '-')}`} data-limit={key[f] ?? 'unlimited'}>
                  <dt>{t(`limits.${f}`)}</dt>
                  <dd>{key[f] === null ? <span className="muted">{t('common.unlimited')}</span> : fmtNumber(key[f])}</dd>
                </div>
              ))}
              <div className="limits-item">
                <dt>{t('detail.inFlightNow')}</dt>
                <dd>
                  <InFlight count={key.in_flight} limit={key.max_concurrent_requests} />
                </dd>
              </div>
            </dl>
            <p className="field-hint">{t('detail.limitsHint')}</p>
          </section>

          <div className="summary-grid">
            <section className="card" aria-label={t('keys.col.minute')}>
              <h2 className="card-title">{t('keys.col.minute')}</h2>
              <UsageBar used={key.usage.minute.tokens} limit={key.tokens_per_minute} metric="tokens" period="minute" testId="usage-minute-tokens" />
              <UsageBar used={key.usage.minute.requests} limit={key.requests_per_minute} metric="requests" period="minute" testId="usage-minute-requests" />
            </section>
            <section className="card" aria-label={t('keys.col.hour')}>
              <h2 className="card-title">{t('keys.col.hour')}</h2>
              <UsageBar used={key.usage.hour.tokens} limit={key.tokens_per_hour} metric="tokens" period="hour" testId="usage-hour-tokens" />
              <UsageBar used={key.usage.hour.requests} limit={key.requests_per_hour} metric="requests" period="hour" testId="usage-hour-requests" />
            </section>
            <section className="card" aria-label={t('keys.col.today')}>
              <h2 className="card-title">{t('keys.col.today')}</h2>
              <UsageBar used={key.usage.today.tokens} limit={key.daily_tokens} metric="tokens" period="today" testId="usage-today-tokens" />
              <UsageBar used={key.usage.today.requests} limit={key.daily_requests} metric="requests" period="today" testId="usage-today-requests" />
              <GpuTime usage={key.usage.today} testId="gpu-today" />
            </section>
            <section className="card" aria-label={t('keys.col.month')}>
              <h2 className="card-title">{t('keys.col.month')}</h2>
              <UsageBar used={key.usage.month.tokens} limit={key.monthly_tokens} metric="tokens" period="month" testId="usage-month-tokens" />
              <UsageBar used={key.usage.month.requests} limit={key.monthly_requests} metric="requests" period="month" testId="usage-month-requests" />
              <GpuTime usage={key.usage.month} testId="gpu-month" />
            </section>
          </div>
        </>
      )}

      {!notFound && (
        <>
      <UsageChart
        title={t('detail.daily')}
        rows={daily.data}
        loading={daily.loading}
        error={daily.error}
        onRetry={daily.reload}
        periods={dayPeriods}
        periodOf={dayOf}
        formatPeriod={formatDay}
        testId="daily-chart"
      />
      <UsageChart
        title={t('detail.monthly')}
        rows={monthly.data}
        loading={monthly.loading}
        error={monthly.error}
        onRetry={monthly.reload}
        periods={monthPeriods}
        periodOf={monthOf}
        formatPeriod={formatMonth}
        testId="monthly-chart"
      />
        </>
      )}
      {actions.dialogs}
    </section>
  );
}
