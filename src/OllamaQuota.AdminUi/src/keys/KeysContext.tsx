import { createContext, useCallback, useContext, useMemo, type ReactNode } from 'react';
import type { ApiKey } from '../api/types';
import { useApi } from '../auth';
import { useLoad } from '../lib/useLoad';

interface KeysValue {
  keys: ApiKey[] | undefined;
  loading: boolean;
  error: unknown;
  reload: () => void;
  /** Puts a key returned by the server into the list (replacing one with the same id). */
  upsert: (key: ApiKey) => void;
}

const KeysContext = createContext<KeysValue | null>(null);

/** Strips anything beyond the key object (the create response's plaintext `key`). */
function sanitize(key: ApiKey): ApiKey {
  const { key: _plaintext, ...rest } = key as ApiKey & { key?: string };
  void _plaintext;
  return rest;
}

/** The list of keys, shared by the keys table and the key detail page. */
export function KeysProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const { data, loading, error, reload, setData } = useLoad((signal) => api.listKeys(signal), [api]);

  const upsert = useCallback(
    (key: ApiKey) => {
      const clean = sanitize(key);
      setData((prev) => {
        const list = prev ?? [];
        const i = list.findIndex((k) => k.id === clean.id);
        if (i < 0) return [clean, ...list];
        const next = list.slice();
        next[i] = clean;
        return next;
      });
    },
    [setData],
  );

  const value = useMemo(
    () => ({ keys: data, loading, error, reload, upsert }),
    [data, loading, error, reload, upsert],
  );
  return <KeysContext.Provider value={value}>{children}</KeysContext.Provider>;
}

export function useKeys(): KeysValue {
  const ctx = useContext(KeysContext);
  if (!ctx) throw new Error('useKeys outside KeysProvider');
  return ctx;
}
