import { useId, useState, type FormEvent } from 'react';
import type { ApiKey, CreatedApiKey } from '../api/types';
import { useApi } from '../auth';
import { Dialog } from '../components/Dialog';
import { ErrorAlert, fieldErrors } from '../components/feedback';
import { useI18n } from '../i18n';

export const DEFAULT_GRACE_HOURS = 24;
export const MAX_GRACE_HOURS = 720;
const GRACE_FIELD = ['grace_hours'] as const;

/** A replaced secret whose grace period has not ended yet. */
export function graceRunning(key: ApiKey, now = Date.now()): boolean {
  return key.previous_key_expires_at != null && Date.parse(key.previous_key_expires_at) > now;
}

/** Asks how long the current secret may keep working, then gives the key a new one. */
export function RotateKeyDialog({
  apiKey,
  onClose,
  onRotated,
}: {
  apiKey: ApiKey;
  onClose: () => void;
  onRotated: (key: CreatedApiKey) => void;
}) {
  const { t, fmtDateTime } = useI18n();
  const api = useApi();
  const id = useId();
  const [hours, setHours] = useState(String(DEFAULT_GRACE_HOURS));
  const [invalid, setInvalid] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const text = hours.trim();
    const value = Number(text);
    if (!/^\d+$/.test(text) || value > MAX_GRACE_HOURS) {
      setInvalid(t('rotate.graceInvalid', { max: MAX_GRACE_HOURS }));
      return;
    }
    setInvalid(undefined);
    setBusy(true);
    setError(null);
    try {
      onRotated(await api.rotateKey(apiKey.id, value));
    } catch (err) {
      setError(err);
      setInvalid(fieldErrors(err, GRACE_FIELD).byField.grace_hours);
      setBusy(false);
    }
  };

  const fieldError = invalid;
  return (
    <Dialog
      title={t('rotate.title', { name: apiKey.name })}
      onClose={onClose}
      size="sm"
      testId="rotate-dialog"
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" form={`${id}-form`} className="btn btn-primary" disabled={busy} data-testid="rotate-confirm">
            {busy ? t('rotate.working') : t('rotate.confirm')}
          </button>
        </>
      }
    >
      <form id={`${id}-form`} onSubmit={onSubmit} noValidate>
        <p>{t('rotate.body', { prefix: `${apiKey.key_prefix}…` })}</p>
        {graceRunning(apiKey) && (
          <div className="alert alert-warning" data-testid="rotate-grace-warning">
            {t('rotate.graceRunning', {
              prefix: `${apiKey.previous_key_prefix}…`,
              until: fmtDateTime(apiKey.previous_key_expires_at!),
            })}
          </div>
        )}
        <div className={`field${fieldError ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-hours`}>{t('rotate.grace')}</label>
          <input
            id={`${id}-hours`}
            inputMode="numeric"
            value={hours}
            onChange={(e) => setHours(e.target.value)}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={`${id}-hint${fieldError ? ` ${id}-error` : ''}`}
            data-testid="rotate-grace-hours"
          />
          <p id={`${id}-hint`} className="field-hint">
            {t('rotate.graceHint', { max: MAX_GRACE_HOURS })}
          </p>
          {fieldError && (
            <p id={`${id}-error`} className="field-error">
              {fieldError}
            </p>
          )}
        </div>
        <ErrorAlert error={error} fields={GRACE_FIELD} />
      </form>
    </Dialog>
  );
}
