import { useId, useState, type FormEvent } from 'react';
import { isApiError } from '../api/client';
import { useAuth } from '../auth';
import { errorMessage } from '../components/feedback';
import { LanguageSelect } from '../components/LanguageSelect';
import { Logo } from '../components/Logo';
import { useI18n } from '../i18n';

export function LoginPage() {
  const { t } = useI18n();
  const { login, logoutReason } = useAuth();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password) {
      setError(t('login.required'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await login(password);
    } catch (err) {
      setError(isApiError(err) && err.status === 401 ? t('login.wrongPassword') : errorMessage(err, t));
      setBusy(false);
    }
  };

  return (
    <div className="login-screen">
      <div className="login-lang">
        <LanguageSelect />
      </div>
      <main className="login-card">
        <div className="login-brand">
          <Logo />
          <span>{t('app.title')}</span>
        </div>
        <h1>{t('login.title')}</h1>
        <p className="muted">{t('login.subtitle')}</p>
        {logoutReason === 'expired' && !error && (
          <div className="alert alert-info" role="status">
            {t('error.unauthorized')}
          </div>
        )}
        <form onSubmit={onSubmit} noValidate data-testid="login-form">
          <div className={`field${error ? ' field-invalid' : ''}`}>
            <label htmlFor={id}>{t('login.password')}</label>
            <input
              id={id}
              type="password"
              name="password"
              autoComplete="current-password"
              autoFocus
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-err` : undefined}
              data-testid="login-password"
            />
          </div>
          {error && (
            <div className="alert alert-error" role="alert" id={`${id}-err`} data-testid="login-error">
              {error}
            </div>
          )}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
            {busy ? t('login.submitting') : t('login.submit')}
          </button>
        </form>
      </main>
    </div>
  );
}
