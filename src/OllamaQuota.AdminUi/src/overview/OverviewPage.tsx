import { useCallback, useMemo, useState, type ReactNode } from 'react';
import type { OverviewDayRow, OverviewPeriod, OverviewUsage } from '../api/types';
import { useApi } from '../auth';
import { Empty, ErrorAlert, Loading } from '../components/feedback';
import { GpuTime } from '../components/GpuTime';
import { useI18n, type MessageKey } from '../i18n';
import { UsageChart } from '../keys/UsageChart';
import { hrefFor } from '../lib/router';
import { formatChartDay, lastDays } from '../lib/usage';
import { useLoad } from '../lib/useLoad';

const PERIODS: OverviewPeriod[] = ['today', 'month'];
const dayOf = (r: OverviewDayRow) => r.day;

/** The first page: today or this month across every key, from the server's daily roll-ups. */
export default function OverviewPage() {
  const { t, locale, fmtNumber } = useI18n();
  const api = useApi();
  const [period, setPeriod] = useState<OverviewPeriod>('today');
  const { data, loading, error, reload } = useLoad((signal) => api.overview(period, signal), [api, period]);

  // The chart covers the month up to the server's today, whatever the period.
  const days = useMemo(() => {
    if (!data) return [];
    const to = data.to;
    return lastDays(Number(to.slice(8, 10)), to);
  }, [data]);
  const formatDay = useCallback((d: string, long?: boolean) => formatChartDay(d, locale, long), [locale]);

  return (
    <section className="page" aria-labelledby="overview-title" data-testid="overview-page">
      <header className="page-header">
        <div>
          <h1 id="overview-title">{t('overview.title')}</h1>
          <p className="muted">{t('overview.subtitle')}</p>
        </div>
        <div className="segmented" role="radiogroup" aria-label={t('overview.period')}>
          {PERIODS.map((p) => (
            <button
              key={p}
              type="button"
              role="radio"
              aria-checked={period === p}
              className={period === p ? 'active' : ''}
              onClick={() => setPeriod(p)}
              data-testid={`overview-period-${p}`}
            >
              {t(`overview.period.${p}`)}
            </button>
          ))}
        </div>
      </header>

      {error != null ? (
        <ErrorAlert error={error} heading={t('overview.loadError')} onRetry={reload} testId="overview-error" />
      ) : !data || (loading && data.period !== period) ? (
        <Loading testId="overview-loading" />
      ) : (
        <>
          <p className="muted" data-testid="overview-range">
            {t('overview.range', { from: formatChartDay(data.from, locale), to: formatChartDay(data.to, locale) })}
          </p>
          {totals(data.totals)}

          <section className="card" aria-labelledby="overview-by-model" data-testid="overview-by-model">
            <h2 id="overview-by-model" className="card-title">{t('overview.byModel')}</h2>
            {data.by_model.length === 0 ? (
              <Empty title={t('overview.noUsage')} testId="overview-by-model-empty" />
            ) : (
              usageTable(
                t('detail.model'),
                data.by_model.map((m) => ({ id: m.model, label: <span data-testid="overview-model-name">{m.model}</span>, usage: m.usage })),
                'overview-model-row',
              )
            )}
          </section>

          <section className="card" aria-labelledby="overview-by-owner" data-testid="overview-by-owner">
            <h2 id="overview-by-owner" className="card-title" title={t('overview.byOwnerHint')}>{t('overview.byOwner')}</h2>
            {data.by_owner.length === 0 ? (
              <Empty title={t('overview.noUsage')} testId="overview-by-owner-empty" />
            ) : (
              usageTable(
                t('overview.owner'),
                data.by_owner.map((o) => ({
                  id: o.owner_id ?? 'none',
                  label:
                    o.owner_id == null ? (
                      <span className="muted" data-testid="overview-owner-name">{t('overview.noOwner')}</span>
                    ) : (
                      <a href={hrefFor({ page: 'owners' })} data-testid="overview-owner-name">{o.name ?? o.owner_id}</a>
                    ),
                  usage: o.usage,
                })),
                'overview-owner-row',
              )
            )}
          </section>

          <section className="card" aria-labelledby="overview-top-keys" data-testid="overview-top-keys">
            <h2 id="overview-top-keys" className="card-title">{t('overview.topKeys')}</h2>
            {data.top_keys.length === 0 ? (
              <Empty title={t('overview.noUsage')} testId="overview-top-keys-empty" />
            ) : (
              usageTable(
                t('overview.key'),
                data.top_keys.map((k) => ({
                  id: k.key_id,
                  label: (
                    <>
                      {k.name != null ? (
                        <a href={hrefFor({ page: 'key', id: k.key_id })} data-testid="overview-key-name">
                          {k.name}
                        </a>
                      ) : (
                        <span className="muted" data-testid="overview-key-name">
                          {t('overview.deletedKey')}
                        </span>
                      )}{' '}
                      <a
                        className="btn btn-ghost btn-sm"
                        href={hrefFor({ page: 'requests', keyId: k.key_id })}
                        aria-label={t('overview.showRequestsOf', { name: k.name ?? k.key_id })}
                        data-testid="overview-key-requests"
                      >
                        {t('overview.showRequests')}
                      </a>
                    </>
                  ),
                  usage: k.usage,
                })),
                'overview-key-row',
              )
            )}
          </section>

          <UsageChart
            title={t('overview.daily')}
            rows={data.daily}
            loading={false}
            error={null}
            onRetry={reload}
            periods={days}
            periodOf={dayOf}
            formatPeriod={formatDay}
            testId="overview-chart"
            showTotals={false}
          />
          <p className="muted">{t('overview.dailyHint')}</p>
        </>
      )}
    </section>
  );

  function totals(usage: OverviewUsage) {
    const cards: { label: MessageKey; hint?: MessageKey; value: ReactNode; testId: string; sub?: string }[] = [
      { label: 'overview.requests', hint: 'overview.requestsHint', value: fmtNumber(usage.requests), testId: 'overview-requests' },
      {
        label: 'overview.tokens',
        value: fmtNumber(usage.tokens),
        testId: 'overview-tokens',
        sub: t('overview.tokensSplit', { prompt: fmtNumber(usage.prompt_tokens), completion: fmtNumber(usage.completion_tokens) }),
      },
      { label: 'overview.gpu', value: <GpuTime usage={usage} testId="overview-gpu-time" inline />, testId: 'overview-gpu' },
      { label: 'overview.errors', hint: 'overview.errorsHint', value: fmtNumber(usage.errors), testId: 'overview-errors' },
      { label: 'overview.refused429', hint: 'overview.refused429Hint', value: fmtNumber(usage.refused_429), testId: 'overview-refused-429' },
      { label: 'overview.refused503', hint: 'overview.refused503Hint', value: fmtNumber(usage.refused_503), testId: 'overview-refused-503' },
    ];
    return (
      <div className="stat-grid" data-testid="overview-totals">
        {cards.map((c) => (
          <section key={c.testId} className="card stat" title={c.hint ? t(c.hint) : undefined} aria-label={t(c.label)}>
            <h2 className="card-title">{t(c.label)}</h2>
            <div className="stat-value" data-testid={c.testId}>
              {c.value}
            </div>
            {c.sub && <div className="muted stat-sub">{c.sub}</div>}
          </section>
        ))}
      </div>
    );
  }

  function usageTable(label: string, rows: { id: string; label: ReactNode; usage: OverviewUsage }[], testId: string) {
    return (
      <div className="table-wrap">
        <table className="totals-table">
          <thead>
            <tr>
              <th scope="col">{label}</th>
              <th scope="col" className="num">{t('detail.metric.requests')}</th>
              <th scope="col" className="num">{t('detail.metric.prompt_tokens')}</th>
              <th scope="col" className="num">{t('detail.metric.completion_tokens')}</th>
              <th scope="col" className="num">{t('detail.metric.gpu_seconds')}</th>
              <th scope="col" className="num">{t('overview.errors')}</th>
              <th scope="col" className="num">429</th>
              <th scope="col" className="num">503</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid={testId} data-id={r.id}>
                <th scope="row">{r.label}</th>
                <td className="num" data-testid="cell-requests">{fmtNumber(r.usage.requests)}</td>
                <td className="num">{fmtNumber(r.usage.prompt_tokens)}</td>
                <td className="num">{fmtNumber(r.usage.completion_tokens)}</td>
                <td className="num">
                  <GpuTime usage={r.usage} testId={`${testId}-gpu`} inline />
                </td>
                <td className="num" data-testid="cell-errors">{fmtNumber(r.usage.errors)}</td>
                <td className="num" data-testid="cell-refused-429">{fmtNumber(r.usage.refused_429)}</td>
                <td className="num" data-testid="cell-refused-503">{fmtNumber(r.usage.refused_503)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
}
