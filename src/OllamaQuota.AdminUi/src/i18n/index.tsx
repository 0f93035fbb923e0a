import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { de } from './de';
import { en, type MessageKey } from './en';

export type Lang = 'en' | 'de';
export const LANGS: readonly { code: Lang; label: string }[] = [
  { code: 'en', label: 'English' },
  { code: 'de', label: 'Deutsch' },
];
const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, de };
const STORAGE_KEY = 'oq.lang';

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

export function format(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}

/** The remembered choice, else the browser's language, else English. */
export function initialLang(): Lang {
  try {
    const saved = sessionStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'de') return saved;
  } catch {
    // Storage can be disabled; fall through to the browser language.
  }
  const prefs = typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [];
  for (const p of prefs) {
    const base = p?.toLowerCase().split('-')[0];
    if (base === 'de') return 'de';
    if (base === 'en') return 'en';
  }
  return 'en';
}

interface I18nValue {
  lang: Lang;
  locale: string;
  setLang: (lang: Lang) => void;
  t: Translate;
  fmtNumber: (n: number) => string;
  fmtDate: (iso: string) => string;
  fmtDateTime: (iso: string) => string;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children, lang: forced }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => forced ?? initialLang());

  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      sessionStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not remembered then; the choice still applies to this page.
    }
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const value = useMemo<I18nValue>(() => {
    const dict = dictionaries[lang];
    const locale = lang === 'de' ? 'de-DE' : 'en-US';
    const num = new Intl.NumberFormat(locale);
    const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
    const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const safe = (f: Intl.DateTimeFormat, iso: string) => {
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : f.format(d);
    };
    return {
      lang,
      locale,
      setLang,
      t: (key, params) => format(dict[key] ?? en[key] ?? key, params),
      fmtNumber: (n) => num.format(n),
      fmtDate: (iso) => safe(date, iso),
      fmtDateTime: (iso) => safe(dateTime, iso),
    };
  }, [lang, setLang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}

export type { MessageKey };
