import { useCallback, useEffect, useRef, useState } from 'react';

/** A polite, self-dismissing success message. Returns the element and a function to show one. */
export function useNotice(timeoutMs = 5000) {
  const [message, setMessage] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const show = useCallback(
    (m: string) => {
      clearTimeout(timer.current);
      setMessage(m);
      timer.current = setTimeout(() => setMessage(''), timeoutMs);
    },
    [timeoutMs],
  );

  const node = (
    <div className="notice-region" role="status" aria-live="polite" data-testid="notice">
      {message && <div className="notice">{message}</div>}
    </div>
  );
  return [node, show] as const;
}
