import { useI18n } from '../i18n';

/** A key's requests in flight now, against its limit when it has one. */
export function InFlight({ count, limit, testId = 'key-in-flight' }: { count: number; limit: number | null; testId?: string }) {
  const { t, fmtNumber } = useI18n();
  const full = limit !== null && count >= limit;
  return (
    <span
      className={`in-flight${full ? ' in-flight-full' : ''}`}
      data-testid={testId}
      data-in-flight={count}
      data-limit={limit ?? 'unlimited'}
      aria-label={
        limit === null
          ? t('usage.inFlight', { count: fmtNumber(count) })
          : t('usage.inFlightOf', { count: fmtNumber(count), limit: fmtNumber(limit) })
      }
    >
      {limit === null ? fmtNumber(count) : `${fmtNumber(count)} / ${fmtNumber(limit)}`}
    </span>
  );
}
