import { useId, useRef } from 'react';
import { CopyButton } from '../components/CopyButton';
import { Dialog } from '../components/Dialog';
import { useI18n } from '../i18n';

/**
 * The one place the plaintext key is ever shown, after creating or rotating it.
 * The caller holds it in component state only and drops it when this dialog closes.
 */
export function CreatedKeyDialog({
  name,
  plaintext,
  onClose,
  rotated,
}: {
  name: string;
  plaintext: string;
  onClose: () => void;
  /** Set after a rotation: the replaced secret's prefix and when it stops working. */
  rotated?: { previousPrefix: string; until: string };
}) {
  const { t, fmtDateTime } = useI18n();
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);

  return (
    <Dialog
      title={rotated ? t('rotated.title') : t('created.title')}
      onClose={onClose}
      initialFocus={inputRef}
      testId="key-created-dialog"
      describedBy={`${id}-warning`}
      footer={
        <button type="button" className="btn btn-primary" onClick={onClose} data-testid="key-created-done">
          {t('created.done')}
        </button>
      }
    >
      <p>
        {rotated
          ? t('rotated.intro', { name, prefix: `${rotated.previousPrefix}…`, until: fmtDateTime(rotated.until) })
          : t('created.intro', { name })}
      </p>
      <div className="alert alert-warning" id={`${id}-warning`} data-testid="key-created-warning">
        <strong>⚠</strong> {t('created.warning')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-key`}>{t('created.label')}</label>
        <div className="input-with-button">
          <input
            ref={inputRef}
            id={`${id}-key`}
            className="mono"
            readOnly
            value={plaintext}
            autoComplete="off"
            spellCheck={false}
            onFocus={(e) => e.currentTarget.select()}
            data-testid="plaintext-key"
          />
          <CopyButton text={plaintext} label={t('created.copy')} className="btn btn-primary" testId="copy-key-button" />
        </div>
      </div>
    </Dialog>
  );
}
