import { useId, useRef, useState } from 'react';
import type { Owner } from '../api/types';
import { useApi } from '../auth';
import { Dialog } from '../components/Dialog';
import { ErrorAlert } from '../components/feedback';
import { useI18n } from '../i18n';

/**
 * Asks before deleting an owner. One that holds keys is deleted only with its keys detached (the API refuses
 * otherwise): they stay, on their own, with their own limits and usage. The safe choice (Cancel) has the focus.
 */
export function DeleteOwnerDialog({ owner, onClose, onDone }: { owner: Owner; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const api = useApi();
  const id = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const keys = owner.key_count;

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.deleteOwner(owner.id, keys > 0);
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('owners.deleteTitle')}
      onClose={onClose}
      role="alertdialog"
      size="sm"
      initialFocus={cancelRef}
      describedBy={`${id}-body`}
      testId="delete-owner-dialog"
      footer={
        <>
          <button ref={cancelRef} type="button" className="btn btn-secondary" onClick={onClose} data-testid="delete-owner-cancel">
            {t('common.cancel')}
          </button>
          <button type="button" className="btn btn-danger" onClick={confirm} disabled={busy} data-testid="delete-owner-confirm">
            {keys > 0 ? t('owners.deleteDetach') : t('owners.delete')}
          </button>
        </>
      }
    >
      <p id={`${id}-body`}>
        {keys > 0 ? t('owners.deleteWithKeys', { name: owner.name, count: keys }) : t('owners.deleteBody', { name: owner.name })}
      </p>
      <ErrorAlert error={error} />
    </Dialog>
  );
}
