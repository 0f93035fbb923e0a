import { useId } from 'react';
import { useApi } from '../auth';
import { useI18n } from '../i18n';
import { useLoad } from '../lib/useLoad';

/** Chooses a key's owner among the existing ones; '' is none. */
export function OwnerSelect({
  value,
  onChange,
  error,
  testIdPrefix,
}: {
  value: string;
  onChange: (ownerId: string) => void;
  error?: string;
  testIdPrefix: string;
}) {
  const { t } = useI18n();
  const api = useApi();
  const id = useId();
  const { data: owners } = useLoad((signal) => api.listOwners(signal), [api]);
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {t('owners.owner')} <span className="muted">({t('common.optional')})</span>
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid={`${testIdPrefix}-owner`}>
        <option value="">{t('owners.none')}</option>
        {(owners ?? []).map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
      <p className="field-hint">{t('owners.ownerHint')}</p>
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}
