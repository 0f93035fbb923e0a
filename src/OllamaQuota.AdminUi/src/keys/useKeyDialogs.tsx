import { useState } from 'react';
import type { ApiKey } from '../api/types';
import { useI18n } from '../i18n';
import { ConfirmKeyDialog, type ConfirmAction } from './ConfirmKeyDialog';
import { CreatedKeyDialog } from './CreatedKeyDialog';
import { EditQuotaDialog } from './EditQuotaDialog';
import { RotateKeyDialog } from './RotateKeyDialog';

type Open = { kind: 'edit'; key: ApiKey } | { kind: 'rotate'; key: ApiKey } | { kind: ConfirmAction; key: ApiKey } | null;

/** Strips anything beyond the key object (the rotate response's plaintext `key`), so no page keeps the secret. */
function withoutSecret(key: ApiKey): ApiKey {
  const { key: _plaintext, ...rest } = key as ApiKey & { key?: string };
  void _plaintext;
  return rest;
}

/** The dialogs that change one key, for one page; `onChanged` gets each key as the server returned it. */
export function useKeyDialogs(onNotice: (message: string) => void, onChanged: (key: ApiKey) => void) {
  const { t } = useI18n();
  const upsert = (key: ApiKey) => onChanged(withoutSecret(key));
  const [open, setOpen] = useState<Open>(null);
  // The new plaintext after a rotation lives here, and only until its dialog closes.
  const [rotated, setRotated] = useState<{ key: ApiKey; plaintext: string } | null>(null);

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
    ) : open?.kind === 'rotate' ? (
      <RotateKeyDialog
        apiKey={open.key}
        onClose={() => setOpen(null)}
        onRotated={(k) => {
          upsert(k);
          setOpen(null);
          setRotated({ key: k, plaintext: k.key });
        }}
      />
    ) : open ? (
      <ConfirmKeyDialog
        action={open.kind}
        apiKey={open.key}
        onClose={() => setOpen(null)}
        onDone={(k) => {
          upsert(k);
          setOpen(null);
          onNotice(t(`${open.kind}.done`, { name: k.name }));
        }}
      />
    ) : rotated ? (
      <CreatedKeyDialog
        name={rotated.key.name}
        plaintext={rotated.plaintext}
        rotated={{ previousPrefix: rotated.key.previous_key_prefix ?? '', until: rotated.key.previous_key_expires_at ?? '' }}
        onClose={() => setRotated(null)}
      />
    ) : null;

  return {
    dialogs,
    editQuota: (key: ApiKey) => setOpen({ kind: 'edit', key }),
    rotate: (key: ApiKey) => setOpen({ kind: 'rotate', key }),
    deactivate: (key: ApiKey) => setOpen({ kind: 'deactivate', key }),
    reactivate: (key: ApiKey) => setOpen({ kind: 'reactivate', key }),
    remove: (key: ApiKey) => setOpen({ kind: 'delete', key }),
  };
}
