import { useId, useRef, useState } from 'react';
import type { ApiKey } from '../api/types';
import { useApi } from '../auth';
import { Dialog } from '../components/Dialog';
import { ErrorAlert } from '../components/feedback';
import { useI18n } from '../i18n';

/** Asks before deactivating; the safe choice (Cancel) has the focus. */
export function DeactivateDialog({
  apiKey,
  onClose,
  onDone,
}: {
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

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      onDone(await api.deactivateKey(apiKey.id));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('deactivate.title')}
      onClose={onClose}
      role="alertdialog"
      size="sm"
      initialFocus={cancelRef}
      describedBy={`${id}-body`}
      testId="deactivate-dialog"
      footer={
        <>
          <button ref={cancelRef} type="button" className="btn btn-secondary" onClick={onClose} data-testid="deactivate-cancel">
            {t('common.cancel')}
          </button>
          <button type="button" className="btn btn-danger" onClick={confirm} disabled={busy} data-testid="deactivate-confirm">
            {busy ? t('deactivate.working') : t('deactivate.confirm')}
          </button>
        </>
      }
    >
      <p id={`${id}-body`}>{t('deactivate.body', { name: apiKey.name, prefix: `${apiKey.key_prefix}…` })}</p>
      <ErrorAlert error={error} />
    </Dialog>
  );
}
