import { useId, useRef, useState, type FormEvent } from 'react';
import { LIMIT_FIELDS, type CreateKeyRequest, type CreatedApiKey, type LimitField } from '../api/types';
import { useApi } from '../auth';
import { Dialog } from '../components/Dialog';
import { ErrorAlert, fieldErrors } from '../components/feedback';
import { AllowedModelsField, parseAllowedModels } from '../components/AllowedModelsField';
import { LimitFields, emptyLimitValues, parseLimits, type LimitValues } from '../components/LimitFields';
import { useI18n } from '../i18n';
import { localToday } from '../lib/usage';
import { OwnerSelect } from '../owners/OwnerSelect';

const NAME_MAX = 100;
const FIELDS = ['name', 'expires_at', 'allowed_models', 'owner_id', ...LIMIT_FIELDS] as const;

/** End of the chosen day in the browser's time zone, as an ISO instant. */
export function endOfLocalDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 59, 999).toISOString();
}

export function CreateKeyDialog({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (key: CreatedApiKey) => void;
}) {
  const { t } = useI18n();
  const api = useApi();
  const id = useId();
  const nameRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [limits, setLimits] = useState<LimitValues>(emptyLimitValues);
  const [models, setModels] = useState('');
  const [owner, setOwner] = useState('');
  const [errors, setErrors] = useState<Partial<Record<(typeof FIELDS)[number], string>>>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const today = localToday();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: typeof errors = {};
    const trimmed = name.trim();
    if (!trimmed) errs.name = t('create.nameRequired');
    else if (trimmed.length > NAME_MAX) errs.name = t('create.nameTooLong', { max: NAME_MAX });
    if (expires && expires < today) errs.expires_at = t('create.expiresPast');
    const parsed = parseLimits(limits);
    if ('invalid' in parsed) for (const f of parsed.invalid) errs[f] = t('limits.invalid');
    setErrors(errs);
    if (Object.keys(errs).length > 0 || 'invalid' in parsed) {
      if (errs.name) nameRef.current?.focus();
      return;
    }

    const body: CreateKeyRequest = { name: trimmed };
    if (expires) body.expires_at = endOfLocalDay(expires);
    for (const f of LIMIT_FIELDS) {
      const v = parsed.limits[f];
      if (v !== null) body[f] = v;
    }
    const allowed = parseAllowedModels(models);
    if (allowed.length > 0) body.allowed_models = allowed;
    if (owner) body.owner_id = owner;

    setBusy(true);
    setServerError(null);
    try {
      const created = await api.createKey(body);
      onCreated(created);
    } catch (err) {
      setServerError(err);
      setErrors(fieldErrors(err, FIELDS).byField);
      setBusy(false);
    }
  };

  const setLimit = (f: LimitField, v: string) => setLimits((prev) => ({ ...prev, [f]: v }));
  const formId = `${id}-form`;

  return (
    <Dialog
      title={t('create.title')}
      onClose={onClose}
      initialFocus={nameRef}
      testId="create-key-dialog"
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose} data-testid="create-key-cancel">
            {t('common.cancel')}
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy} data-testid="create-key-submit">
            {busy ? t('create.submitting') : t('create.submit')}
          </button>
        </>
      }
    >
      <form id={formId} onSubmit={onSubmit} noValidate>
        <ErrorAlert error={serverError} fields={FIELDS} />
        <div className={`field${errors.name ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-name`}>{t('create.name')}</label>
          <input
            ref={nameRef}
            id={`${id}-name`}
            name="name"
            autoComplete="off"
            maxLength={NAME_MAX + 20}
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={`${id}-name-hint${errors.name ? ` ${id}-name-err` : ''}`}
            data-testid="create-key-name"
          />
          <p className="field-hint" id={`${id}-name-hint`}>
            {t('create.nameHint')}
          </p>
          {errors.name && (
            <p className="field-error" id={`${id}-name-err`}>
              {errors.name}
            </p>
          )}
        </div>

        <OwnerSelect value={owner} onChange={setOwner} error={errors.owner_id} testIdPrefix="create-key" />

        <fieldset className="fieldset">
          <legend>{t('create.limits')}</legend>
          <p className="field-hint">{t('limits.hint')}</p>
          <LimitFields values={limits} onChange={setLimit} errors={errors} testIdPrefix="create-key" />
        </fieldset>

        <AllowedModelsField value={models} onChange={setModels} error={errors.allowed_models} testIdPrefix="create-key" />

        <div className={`field${errors.expires_at ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-expires`}>
            {t('create.expires')} <span className="muted">({t('common.optional')})</span>
          </label>
          <input
            id={`${id}-expires`}
            type="date"
            name="expires_at"
            min={today}
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            aria-invalid={errors.expires_at ? true : undefined}
            aria-describedby={`${id}-expires-hint${errors.expires_at ? ` ${id}-expires-err` : ''}`}
            data-testid="create-key-expires"
          />
          <p className="field-hint" id={`${id}-expires-hint`}>
            {t('create.expiresHint')}
          </p>
          {errors.expires_at && (
            <p className="field-error" id={`${id}-expires-err`}>
              {errors.expires_at}
            </p>
          )}
        </div>
      </form>
    </Dialog>
  );
}
