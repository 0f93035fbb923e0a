import { useId, useRef, useState, type FormEvent } from 'react';
import { LIMIT_FIELDS, type LimitField, type Owner, type OwnerRequest } from '../api/types';
import { useApi } from '../auth';
import { Dialog } from '../components/Dialog';
import { ErrorAlert, fieldErrors } from '../components/feedback';
import { LimitFields, emptyLimitValues, limitValuesFrom, parseLimits, type LimitValues } from '../components/LimitFields';
import { useI18n } from '../i18n';

const NAME_MAX = 200;
const FIELDS = ['name', 'contact', ...LIMIT_FIELDS] as const;
type Field = (typeof FIELDS)[number];

/** Creates an owner, or edits one (`owner` given): name, contact and every limit, which apply across all of its keys. */
export function OwnerDialog({ owner, onClose, onSaved }: { owner?: Owner; onClose: () => void; onSaved: (owner: Owner) => void }) {
  const { t } = useI18n();
  const api = useApi();
  const id = useId();
  const nameRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState(owner?.name ?? '');
  const [contact, setContact] = useState(owner?.contact ?? '');
  const [limits, setLimits] = useState<LimitValues>(() => (owner ? limitValuesFrom(owner) : emptyLimitValues()));
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: typeof errors = {};
    const trimmed = name.trim();
    if (!trimmed) errs.name = t('create.nameRequired');
    else if (trimmed.length > NAME_MAX) errs.name = t('create.nameTooLong', { max: NAME_MAX });
    const parsed = parseLimits(limits);
    if ('invalid' in parsed) for (const f of parsed.invalid) errs[f] = t('limits.invalid');
    setErrors(errs);
    if (Object.keys(errs).length > 0 || 'invalid' in parsed) {
      if (errs.name) nameRef.current?.focus();
      return;
    }

    const body: OwnerRequest = { name: trimmed, contact: contact.trim() || null, ...parsed.limits };
    setBusy(true);
    setServerError(null);
    try {
      onSaved(owner ? await api.patchOwner(owner.id, body) : await api.createOwner(body));
    } catch (err) {
      setServerError(err);
      setErrors(fieldErrors(err, FIELDS).byField);
      setBusy(false);
    }
  };

  const formId = `${id}-form`;
  return (
    <Dialog
      title={owner ? t('owners.editTitle', { name: owner.name }) : t('owners.createTitle')}
      onClose={onClose}
      initialFocus={nameRef}
      testId="owner-dialog"
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose} data-testid="owner-cancel">
            {t('common.cancel')}
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy} data-testid="owner-submit">
            {busy ? t('common.saving') : owner ? t('common.save') : t('owners.create')}
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
            autoComplete="off"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? `${id}-name-err` : undefined}
            data-testid="owner-name"
          />
          {errors.name && (
            <p className="field-error" id={`${id}-name-err`}>
              {errors.name}
            </p>
          )}
        </div>
        <div className={`field${errors.contact ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-contact`}>
            {t('owners.contact')} <span className="muted">({t('common.optional')})</span>
          </label>
          <input
            id={`${id}-contact`}
            autoComplete="off"
            value={contact}
            onChange={(e) => setContact(e.target.value)}
            aria-invalid={errors.contact ? true : undefined}
            data-testid="owner-contact"
          />
          {errors.contact && <p className="field-error">{errors.contact}</p>}
        </div>
        <fieldset className="fieldset">
          <legend>{t('create.limits')}</legend>
          <p className="field-hint">{t('owners.limitsHint')}</p>
          <LimitFields
            values={limits}
            onChange={(f: LimitField, v: string) => setLimits((prev) => ({ ...prev, [f]: v }))}
            errors={errors}
            testIdPrefix="owner"
          />
        </fieldset>
      </form>
    </Dialog>
  );
}
