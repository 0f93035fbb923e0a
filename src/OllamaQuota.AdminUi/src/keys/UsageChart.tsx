import { useId, useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Empty, ErrorAlert, Loading } from '../components/feedback';
import { GpuTime } from '../components/GpuTime';
import { useI18n } from '../i18n';
import { METRICS, buildSeries, formatGpuSeconds, type Metric, type UsageCounts } from '../lib/usage';

const PALETTE = ['#4f46e5', '#0891b2', '#d97706', '#db2777', '#16a34a', '#7c3aed', '#dc2626', '#0d9488', '#64748b'];

interface Row extends UsageCounts {
  model: string;
}

/** A stacked bar chart (one stack per model) of one metric over gap-free periods, plus totals by model. */
export function UsageChart<R extends Row>({
  title,
  rows,
  loading,
  error,
  onRetry,
  periods,
  periodOf,
  formatPeriod,
  testId,
  showTotals = true,
}: {
  title: string;
  rows: R[] | undefined;
  loading: boolean;
  error: unknown;
  onRetry: () => void;
  periods: string[];
  periodOf: (row: R) => string;
  formatPeriod: (period: string, long?: boolean) => string;
  testId: string;
  /** The table of totals by model below the chart; off where the page shows its own. */
  showTotals?: boolean;
}) {
  const { t, locale, fmtNumber } = useI18n();
  const [metric, setMetric] = useState<Metric>('tokens');
  const headingId = useId();

  const gpu = metric === 'gpu_seconds';
  const series = useMemo(
    () => (rows ? buildSeries(rows, periodOf as (r: never) => string, periods, metric) : null),
    [rows, periodOf, periods, metric],
  );

  return (
    <section className="card chart-card" aria-labelledby={headingId} data-testid={testId}>
      <header className="card-header">
        <h2 id={headingId}>{title}</h2>
        <div className="segmented" role="radiogroup" aria-label={t('detail.metric')}>
          {METRICS.map((m) => (
            <button
              key={m}
              type="button"
              role="radio"
              aria-checked={metric === m}
              className={metric === m ? 'active' : ''}
              onClick={() => setMetric(m)}
              data-testid={`${testId}-metric-${m}`}
            >
              {t(`detail.metric.${m}`)}
            </button>
          ))}
        </div>
      </header>

      {error != null ? (
        <ErrorAlert error={error} heading={t('detail.loadError')} onRetry={onRetry} testId={`${testId}-error`} />
      ) : loading || !series ? (
        <Loading testId={`${testId}-loading`} />
      ) : series.models.length === 0 ? (
        <Empty title={t('detail.noUsage')} testId={`${testId}-empty`} />
      ) : (
        <>
          <div className="chart" data-testid={`${testId}-canvas`} data-models={series.models.join(',')}>
            <ResponsiveContainer width="100%" height={280}>
              <BarChart data={series.points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--border)" />
                <XAxis
                  dataKey="period"
                  tickFormatter={(p: string) => formatPeriod(p)}
                  tick={{ fontSize: 12, fill: 'var(--muted)' }}
                  interval="preserveStartEnd"
                  minTickGap={12}
                />
                <YAxis
                  tickFormatter={(v: number) => (gpu ? formatGpuSeconds(v, locale) : compact(v))}
                  tick={{ fontSize: 12, fill: 'var(--muted)' }}
                  width={gpu ? 64 : 48}
                  allowDecimals={gpu}
                />
                <Tooltip
                  labelFormatter={(p) => formatPeriod(String(p), true)}
                  formatter={(v) => (gpu ? formatGpuSeconds(Number(v), locale) : fmtNumber(Number(v)))}
                  contentStyle={{ borderRadius: 8, border: '1px solid var(--border)', background: 'var(--surface)' }}
                  cursor={{ fill: 'var(--hover)' }}
                />
                <Legend wrapperStyle={{ fontSize: 13 }} />
                {series.models.map((m, i) => (
                  <Bar key={m} dataKey={m} name={m} stackId="usage" fill={PALETTE[i % PALETTE.length]} maxBarSize={40} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
          {showTotals && (
          <div className="table-wrap">
            <table className="totals-table" data-testid={`${testId}-totals`}>
              <caption className="visually-hidden">{`${title} — ${t('detail.byModel')}`}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('detail.model')}</th>
                  <th scope="col" className="num">{t('detail.metric.requests')}</th>
                  <th scope="col" className="num">{t('detail.metric.prompt_tokens')}</th>
                  <th scope="col" className="num">{t('detail.metric.completion_tokens')}</th>
                  <th scope="col" className="num">{t('detail.metric.tokens')}</th>
                  <th scope="col" className="num">{t('detail.metric.gpu_seconds')}</th>
                </tr>
              </thead>
              <tbody>
                {series.totals.map((r, i) => (
                  <tr key={r.model}>
                    <th scope="row">
                      <span className="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
                      {r.model}
                    </th>
                    <td className="num">{fmtNumber(r.requests)}</td>
                    <td className="num">{fmtNumber(r.prompt_tokens)}</td>
                    <td className="num">{fmtNumber(r.completion_tokens)}</td>
                    <td className="num">{fmtNumber(r.prompt_tokens + r.completion_tokens)}</td>
                    <td className="num">
                      <GpuTime usage={r} testId={`${testId}-gpu-${r.model}`} inline />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          )}
        </>
      )}
    </section>
  );
}

function compact(v: number): string {
  if (Math.abs(v) >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(v);
}
