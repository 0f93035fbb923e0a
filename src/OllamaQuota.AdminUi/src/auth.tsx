import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { createApi, isApiError, request, type AdminApi } from './api/client';
import type { Settings } from './api/types';

// The password lives in this tab's sessionStorage only: never localStorage,
// never a cookie, gone when the tab closes.
const STORAGE_KEY = 'oq.admin';

function readStored(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function store(password: string | null) {
  try {
    if (password === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, password);
  } catch {
    // Storage disabled: the password stays in memory for this page only.
  }
}

export type LogoutReason = 'user' | 'expired';

interface AuthValue {
  password: string | null;
  api: AdminApi | null;
  /** Why the last session ended, to tell the user on the login page. */
  logoutReason: LogoutReason | null;
  /** Checks the password with GET /api/settings; rejects with ApiError (401 = wrong password). */
  login: (password: string) => Promise<void>;
  logout: (reason?: LogoutReason) => void;
}

const AuthContext = createContext<AuthValue | null>(null);

/** Wraps every API call so a 401 after login ends the session. */
function withSessionGuard(api: AdminApi, onUnauthorized: () => void): AdminApi {
  const guarded = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(api)) {
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (e) {
        if (isApiError(e) && e.status === 401) onUnauthorized();
        throw e;
      }
    };
  }
  return guarded as AdminApi;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [password, setPassword] = useState<string | null>(readStored);
  const [logoutReason, setLogoutReason] = useState<LogoutReason | null>(null);

  const logout = useCallback((reason: LogoutReason = 'user') => {
    store(null);
    setPassword(null);
    setLogoutReason(reason);
  }, []);

  const login = useCallback(async (candidate: string) => {
    await request<Settings>(candidate, 'GET', '/api/settings');
    store(candidate);
    setLogoutReason(null);
    setPassword(candidate);
  }, []);

  const api = useMemo(
    () => (password ? withSessionGuard(createApi(password), () => logout('expired')) : null),
    [password, logout],
  );

  const value = useMemo<AuthValue>(
    () => ({ password, api, login, logout, logoutReason }),
    [password, api, login, logout, logoutReason],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

/** The API for pages that only render after login. */
export function useApi(): AdminApi {
  const { api } = useAuth();
  if (!api) throw new Error('useApi before login');
  return api;
}
