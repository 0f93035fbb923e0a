import type { ApiKey } from '../api/types';
import { useI18n } from '../i18n';
import type { useKeyDialogs } from './useKeyDialogs';

/**
 * The changes a key's state allows: a working or expired key can be edited, rotated and deactivated, a deactivated
 * one reactivated; a deleted key none. Deletion is offered where asked for (the key's own page).
 */
export function KeyActions({
  apiKey,
  actions,
  small = false,
  withDelete = false,
}: {
  apiKey: ApiKey;
  actions: ReturnType<typeof useKeyDialogs>;
  small?: boolean;
  withDelete?: boolean;
}) {
  const { t } = useI18n();
  const size = small ? ' btn-sm' : '';
  if (apiKey.status === 'deleted') return null;
  return (
    <>
      {apiKey.status === 'deactivated' ? (
        <button type="button" className={`btn btn-secondary${size}`} onClick={() => actions.reactivate(apiKey)} data-testid="reactivate-button">
          {t('keys.reactivate')}
        </button>
      ) : (
        <>
          <button type="button" className={`btn btn-secondary${size}`} onClick={() => actions.editQuota(apiKey)} data-testid="edit-quota-button">
            {t('keys.editQuota')}
          </button>
          <button type="button" className={`btn btn-secondary${size}`} onClick={() => actions.rotate(apiKey)} data-testid="rotate-button">
            {t('keys.rotate')}
          </button>
          <button type="button" className={`btn btn-danger-outline${size}`} onClick={() => actions.deactivate(apiKey)} data-testid="deactivate-button">
            {t('keys.deactivate')}
          </button>
        </>
      )}
      {withDelete && (
        <button type="button" className={`btn btn-danger-outline${size}`} onClick={() => actions.remove(apiKey)} data-testid="delete-button">
          {t('keys.delete')}
        </button>
      )}
    </>
  );
}
