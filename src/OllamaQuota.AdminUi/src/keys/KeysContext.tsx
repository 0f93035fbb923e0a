import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
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
  /** Whether deleted keys are loaded too; they are left out until a page asks for them. */
  includeDeleted: boolean;
  showDeleted: () => void;
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
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const { data, loading, error, reload, setData } = useLoad(
    (signal) => api.listKeys(signal, includeDeleted),
    [api, includeDeleted],
  );
  const showDeleted = useCallback(() => setIncludeDeleted(true), []);

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
    () => ({ keys: data, loading, error, reload, upsert, includeDeleted, showDeleted }),
    [data, loading, error, reload, upsert, includeDeleted, showDeleted],
  );
  return <KeysContext.Provider value={value}>{children}</KeysContext.Provider>;
}

export function useKeys(): KeysValue {
  const ctx = useContext(KeysContext);
  if (!ctx) throw new Error('useKeys outside KeysProvider');
  return ctx;
}
