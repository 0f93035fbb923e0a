import { useId, useState, type FormEvent } from 'react';
import { LIMIT_FIELDS, type ApiKey, type LimitField } from '../api/types';
import { useApi } from '../auth';
import { Dialog } from '../components/Dialog';
import { ErrorAlert, fieldErrors } from '../components/feedback';
import { LimitFields, limitValuesFrom, parseLimits, type LimitValues } from '../components/LimitFields';
import { useI18n } from '../i18n';

/** Edits the four limits; sends all of them, with null for the cleared (unlimited) ones. */
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
  const [errors, setErrors] = useState<Partial<Record<LimitField, string>>>({});
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
      onSaved(await api.patchQuota(apiKey.id, parsed.limits));
    } catch (err) {
      setServerError(err);
      setErrors(fieldErrors(err, LIMIT_FIELDS).byField);
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
        <ErrorAlert error={serverError} fields={LIMIT_FIELDS} />
        <p className="field-hint">{t('limits.hint')}</p>
        <LimitFields
          values={values}
          onChange={(f, v) => setValues((prev) => ({ ...prev, [f]: v }))}
          errors={errors}
          testIdPrefix="edit-quota"
        />
      </form>
    </Dialog>
  );
}
