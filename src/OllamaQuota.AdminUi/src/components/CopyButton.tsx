import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n';

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Fallback for non-secure contexts, where the async clipboard API is missing.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    if (!document.execCommand('copy')) throw new Error('copy refused');
  } finally {
    area.remove();
  }
}

/** Copies `text`; announces the result in a live region. */
export function CopyButton({
  text,
  label,
  className = 'btn btn-secondary btn-sm',
  testId,
}: {
  text: string;
  label?: string;
  className?: string;
  testId?: string;
}) {
  const { t } = useI18n();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const onClick = async () => {
    clearTimeout(timer.current);
    try {
      await copyText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    timer.current = setTimeout(() => setState('idle'), 2500);
  };

  return (
    <span className="copy">
      <button type="button" className={className} onClick={onClick} data-testid={testId} data-state={state}>
        {state === 'copied' ? `✓ ${t('common.copied')}` : (label ?? t('common.copy'))}
      </button>
      <span className={state === 'failed' ? 'copy-status copy-failed' : 'visually-hidden'} role="status">
        {state === 'copied' ? t('common.copied') : state === 'failed' ? t('common.copyFailed') : ''}
      </span>
    </span>
  );
}
