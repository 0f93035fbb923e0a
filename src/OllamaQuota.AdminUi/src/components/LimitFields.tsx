import { useId } from 'react';
import { LIMIT_FIELDS, type LimitField, type Limits } from '../api/types';
import { useI18n } from '../i18n';

export type LimitValues = Record<LimitField, string>;

export const emptyLimitValues = (): LimitValues =>
  Object.fromEntries(LIMIT_FIELDS.map((f) => [f, ''])) as LimitValues;

export const limitValuesFrom = (l: Limits): LimitValues =>
  Object.fromEntries(LIMIT_FIELDS.map((f) => [f, l[f]?.toString() ?? ''])) as LimitValues;

/** '' → null (unlimited); a whole number ≥ 0 → that number; anything else → undefined (invalid). */
export function parseLimit(raw: string): number | null | undefined {
  const s = raw.trim().replace(/[\s_]/g, '');
  if (s === '') return null;
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses every limit; returns the limits or the fields that are invalid. */
export function parseLimits(values: LimitValues): { limits: Limits } | { invalid: LimitField[] } {
  const limits = {} as Limits;
  const invalid: LimitField[] = [];
  for (const f of LIMIT_FIELDS) {
    const v = parseLimit(values[f]);
    if (v === undefined) invalid.push(f);
    else limits[f] = v;
  }
  return invalid.length ? { invalid } : { limits };
}

/** One input per limit (empty = unlimited). */
export function LimitFields({
  values,
  onChange,
  errors,
  testIdPrefix,
  disabled,
}: {
  values: LimitValues;
  onChange: (field: LimitField, value: string) => void;
  errors: Partial<Record<LimitField, string>>;
  testIdPrefix: string;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  const baseId = useId();
  return (
    <div className="limit-grid">
      {LIMIT_FIELDS.map((f) => {
        const id = `${baseId}-${f}`;
        const err = errors[f];
        return (
          <div className={`field${err ? ' field-invalid' : ''}`} key={f}>
            <label htmlFor={id}>{t(`limits.${f}`)}</label>
            <input
              id={id}
              name={f}
              type="text"
              inputMode="numeric"
              autoComplete="off"
              placeholder={t('common.unlimited')}
              value={values[f]}
              onChange={(e) => onChange(f, e.target.value)}
              aria-invalid={err ? true : undefined}
              aria-describedby={err ? `${id}-err` : undefined}
              disabled={disabled}
              data-testid={`${testIdPrefix}-${f.replaceAll('_', '-')}`}
            />
            {err && (
              <p className="field-error" id={`${id}-err`}>
                {err}
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}
