import { useId, useRef, useState } from 'react';
import type { ApiKey } from '../api/types';
import { useApi } from '../auth';
import { Dialog } from '../components/Dialog';
import { ErrorAlert } from '../components/feedback';
import { useI18n } from '../i18n';

export type ConfirmAction = 'deactivate' | 'reactivate' | 'delete';

/** Asks before changing a key's state; the safe choice (Cancel) has the focus. */
export function ConfirmKeyDialog({
  action,
  apiKey,
  onClose,
  onDone,
}: {
  action: ConfirmAction;
  apiKey: ApiKey;
  onClose: () => void;
  onDone: (key: ApiKey) => void;
}) {
  const { t } = useI18n();
  const api = useApi();
  const id = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = { deactivate: api.deactivateKey, reactivate: api.reactivateKey, delete: api.deleteKey }[action];

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      onDone(await run(apiKey.id));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t(`${action}.title`)}
      onClose={onClose}
      role="alertdialog"
      size="sm"
      initialFocus={cancelRef}
      describedBy={`${id}-body`}
      testId={`${action}-dialog`}
      footer={
        <>
          <button ref={cancelRef} type="button" className="btn btn-secondary" onClick={onClose} data-testid={`${action}-cancel`}>
            {t('common.cancel')}
          </button>
          <button
            type="button"
            className={action === 'reactivate' ? 'btn btn-primary' : 'btn btn-danger'}
            onClick={confirm}
            disabled={busy}
            data-testid={`${action}-confirm`}
          >
            {busy ? t(`${action}.working`) : t(`${action}.confirm`)}
          </button>
        </>
      }
    >
      <p id={`${id}-body`}>{t(`${action}.body`, { name: apiKey.name, prefix: `${apiKey.key_prefix}…` })}</p>
      <ErrorAlert error={error} />
    </Dialog>
  );
}
