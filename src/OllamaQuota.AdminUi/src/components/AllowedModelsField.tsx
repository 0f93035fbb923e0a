import { useId } from 'react';
import { useI18n } from '../i18n';

/** One entry per line (commas work too); blank lines are ignored. An empty list allows every model. */
export function parseAllowedModels(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function formatAllowedModels(models: readonly string[] | undefined): string {
  return (models ?? []).join('\n');
}

/** The key's model allow-list as a textarea; the Admin API validates each entry and names a bad one. */
export function AllowedModelsField({
  value,
  onChange,
  error,
  testIdPrefix,
}: {
  value: string;
  onChange: (value: string) => void;
  error?: string;
  testIdPrefix: string;
}) {
  const { t } = useI18n();
  const id = useId();
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={`${id}-models`}>
        {t('models.allowed')} <span className="muted">({t('common.optional')})</span>
      </label>
      <textarea
        id={`${id}-models`}
        rows={3}
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-models-hint${error ? ` ${id}-models-err` : ''}`}
        data-testid={`${testIdPrefix}-allowed-models`}
      />
      <p className="field-hint" id={`${id}-models-hint`}>
        {t('models.allowedHint')}
      </p>
      {error && (
        <p className="field-error" id={`${id}-models-err`}>
          {error}
        </p>
      )}
    </div>
  );
}
