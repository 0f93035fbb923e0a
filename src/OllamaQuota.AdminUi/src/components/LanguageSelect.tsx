import { useId } from 'react';
import { LANGS, useI18n, type Lang } from '../i18n';

export function LanguageSelect() {
  const { lang, setLang, t } = useI18n();
  const id = useId();
  return (
    <div className="lang-select">
      <label htmlFor={id} className="visually-hidden">
        {t('lang.label')}
      </label>
      <select id={id} value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="lang-select">
        {LANGS.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.label}
          </option>
        ))}
      </select>
    </div>
  );
}
