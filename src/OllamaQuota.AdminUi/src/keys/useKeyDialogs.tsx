import { useState } from 'react';
import type { ApiKey } from '../api/types';
import { useI18n } from '../i18n';
import { DeactivateDialog } from './DeactivateDialog';
import { EditQuotaDialog } from './EditQuotaDialog';
import { useKeys } from './KeysContext';

type Open = { kind: 'edit' | 'deactivate'; key: ApiKey } | null;

/** Edit-quota and deactivate dialogs for one page; results go into the shared key list. */
export function useKeyDialogs(onNotice: (message: string) => void) {
  const { t } = useI18n();
  const { upsert } = useKeys();
  const [open, setOpen] = useState<Open>(null);

  const dialogs =
    open?.kind === 'edit' ? (
      <EditQuotaDialog
        apiKey={open.key}
        onClose={() => setOpen(null)}
        onSaved={(k) => {
          upsert(k);
          setOpen(null);
          onNotice(t('edit.saved', { name: k.name }));
        }}
      />
    ) : open?.kind === 'deactivate' ? (
      <DeactivateDialog
        apiKey={open.key}
        onClose={() => setOpen(null)}
        onDone={(k) => {
          upsert(k);
          setOpen(null);
          onNotice(t('deactivate.done', { name: k.name }));
        }}
      />
    ) : null;

  return {
    dialogs,
    editQuota: (key: ApiKey) => setOpen({ kind: 'edit', key }),
    deactivate: (key: ApiKey) => setOpen({ kind: 'deactivate', key }),
  };
}
