import { useI18n } from '../i18n';
import { formatGpuSeconds, type UsageCounts } from '../lib/usage';

/**
 * GPU seconds beside the token figures: "—" when Ollama timed none of the requests (the OpenAI-compatible endpoints
 * report no durations), and a hint saying so when it timed only some of them. `inline` renders the bare value, for a
 * table cell under a column heading.
 */
export function GpuTime({ usage, testId, inline }: { usage: UsageCounts; testId?: string; inline?: boolean }) {
  const { t, locale, fmtNumber } = useI18n();
  const timed = usage.timed_requests ?? 0;
  const seconds = usage.gpu_seconds ?? 0;
  const known = usage.gpu_seconds !== undefined && timed > 0;
  const hint = !known
    ? t('usage.gpuUnknown')
    : timed < usage.requests
      ? t('usage.gpuPartial', { timed: fmtNumber(timed), requests: fmtNumber(usage.requests) })
      : t('usage.gpuHint');
  const value = known ? formatGpuSeconds(seconds, locale) : '—';
  const data = { 'data-testid': testId, 'data-seconds': known ? seconds : 'unknown', 'data-timed': timed, title: hint };

  if (inline) {
    return (
      <span className="gpu-value" {...data}>
        {value}
      </span>
    );
  }
  return (
    <div className="usage-gpu" {...data}>
      <span className="usage-metric">{t('usage.gpu')}</span>
      <span className="usage-value" data-testid="gpu-value">
        {value}
      </span>
    </div>
  );
}
