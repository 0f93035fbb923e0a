import { useId, useState, type FormEvent } from 'react';
import { LIMIT_FIELDS, type ApiKey } from '../api/types';
import { useApi } from '../auth';
import { Dialog } from '../components/Dialog';
import { ErrorAlert, fieldErrors } from '../components/feedback';
import { AllowedModelsField, formatAllowedModels, parseAllowedModels } from '../components/AllowedModelsField';
import { LimitFields, limitValuesFrom, parseLimits, type LimitValues } from '../components/LimitFields';
import { useI18n } from '../i18n';
import { OwnerSelect } from '../owners/OwnerSelect';

const FIELDS = [...LIMIT_FIELDS, 'allowed_models', 'owner_id'] as const;
type Field = (typeof FIELDS)[number];

/** Edits every limit and the allowed models; sends all of them, with null for the cleared (unlimited) limits. */
export function EditQuotaDialog({
  apiKey,
  onClose,
  onSaved,
}: {
  apiKey: ApiKey;
  onClose: () => void;
  onSaved: (key: ApiKey) => void;
}) {
  const { t } = useI18n();
  const api = useApi();
  const formId = `${useId()}-form`;
  const [values, setValues] = useState<LimitValues>(() => limitValuesFrom(apiKey));
  const [models, setModels] = useState(() => formatAllowedModels(apiKey.allowed_models));
  const [owner, setOwner] = useState(apiKey.owner_id ?? '');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseLimits(values);
    if ('invalid' in parsed) {
      setErrors(Object.fromEntries(parsed.invalid.map((f) => [f, t('limits.invalid')])));
      return;
    }
    setErrors({});
    setBusy(true);
    setServerError(null);
    try {
      // The allow-list goes only when it changed, so that saving limits never rewrites it.
      const allowed = parseAllowedModels(models);
      const changed = allowed.join('\n') !== formatAllowedModels(apiKey.allowed_models);
      let saved = await api.patchQuota(apiKey.id, changed ? { ...parsed.limits, allowed_models: allowed } : parsed.limits);
      // The owner only when it changed: a move rebuilds both owners' counters from what their keys recorded.
      if (owner !== (apiKey.owner_id ?? '')) saved = await api.setKeyOwner(apiKey.id, owner || null);
      onSaved(saved);
    } catch (err) {
      setServerError(err);
      setErrors(fieldErrors(err, FIELDS).byField);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('edit.title', { name: apiKey.name })}
      onClose={onClose}
      testId="edit-quota-dialog"
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose} data-testid="edit-quota-cancel">
            {t('common.cancel')}
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy} data-testid="edit-quota-submit">
            {busy ? t('common.saving') : t('edit.submit')}
          </button>
        </>
      }
    >
      <form id={formId} onSubmit={onSubmit} noValidate>
        <ErrorAlert error={serverError} fields={FIELDS} />
        <p className="field-hint">{t('limits.hint')}</p>
        <LimitFields
          values={values}
          onChange={(f, v) => setValues((prev) => ({ ...prev, [f]: v }))}
          errors={errors}
          testIdPrefix="edit-quota"
        />
        <AllowedModelsField value={models} onChange={setModels} error={errors.allowed_models} testIdPrefix="edit-quota" />
        <OwnerSelect value={owner} onChange={setOwner} error={errors.owner_id} testIdPrefix="edit-quota" />
      </form>
    </Dialog>
  );
}
