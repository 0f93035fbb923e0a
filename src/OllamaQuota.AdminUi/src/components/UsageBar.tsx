import { useI18n } from '../i18n';
import { usageLevel, usagePercent } from '../lib/usage';

export interface UsageBarProps {
  used: number;
  limit: number | null;
  metric: 'tokens' | 'requests';
  period: 'minute' | 'hour' | 'today' | 'month';
  testId?: string;
  compact?: boolean;
}

/** "used / limit" with a bar coloured by how close the usage is to the limit. */
export function UsageBar({ used, limit, metric, period, testId, compact }: UsageBarProps) {
  const { t, fmtNumber } = useI18n();
  const level = usageLevel(used, limit);
  const pct = usagePercent(used, limit);
  const metricLabel = t(metric === 'tokens' ? 'usage.tokens' : 'usage.requests');
  const periodLabel = t(`usage.${period}`);
  const limitText = limit === null ? t('common.unlimited') : fmtNumber(limit);
  const aria =
    limit === null
      ? t('usage.ariaUnlimited', { metric: metricLabel, period: periodLabel, used: fmtNumber(used) })
      : t('usage.aria', { metric: metricLabel, period: periodLabel, used: fmtNumber(used), limit: limitText });

  return (
    <div
      className={`usage usage-${level}${compact ? ' usage-compact' : ''}`}
      data-testid={testId}
      data-used={used}
      data-limit={limit ?? 'unlimited'}
      data-level={level}
    >
      <div className="usage-label">
        <span className="usage-metric">{metricLabel}</span>
        <span className="usage-value" data-testid="usage-value">
          {fmtNumber(used)} / {limitText}
        </span>
      </div>
      {pct === null ? (
        <div className="usage-track usage-track-unlimited" role="img" aria-label={aria} />
      ) : (
        <div
          className="usage-track"
          role="meter"
          aria-label={aria}
          aria-valuemin={0}
          aria-valuemax={limit ?? 0}
          aria-valuenow={Math.min(used, limit ?? used)}
          aria-valuetext={`${fmtNumber(used)} / ${limitText}`}
        >
          <div className="usage-fill" style={{ width: `${pct}%` }} />
        </div>
      )}
    </div>
  );
}
