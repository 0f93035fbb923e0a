import { Suspense, lazy, useEffect, useRef } from 'react';
import { AuditPage } from './audit/AuditPage';
import { AuthProvider, useAuth } from './auth';
import { Loading } from './components/feedback';
import { LanguageSelect } from './components/LanguageSelect';
import { Logo } from './components/Logo';
import { I18nProvider, useI18n, type Lang, type MessageKey } from './i18n';
import { KeysPage } from './keys/KeysPage';
import { LoginPage } from './pages/LoginPage';
import { OwnersPage } from './owners/OwnersPage';
import { ProxyInfoPage } from './proxy/ProxyInfoPage';
import { hrefFor, useRoute, type Route } from './lib/router';
import { SettingsPage } from './settings/SettingsPage';

// The charts library is large; load it only with a page that draws charts.
const KeyDetailPage = lazy(() => import('./keys/KeyDetailPage'));
const OverviewPage = lazy(() => import('./overview/OverviewPage'));
const RequestLogPage = lazy(() => import('./requests/RequestLogPage'));

const NAV: { page: Route['page']; route: Route; label: MessageKey; testId: string }[] = [
  { page: 'overview', route: { page: 'overview' }, label: 'nav.overview', testId: 'nav-overview' },
  { page: 'requests', route: { page: 'requests' }, label: 'nav.requests', testId: 'nav-requests' },
  { page: 'keys', route: { page: 'keys' }, label: 'nav.keys', testId: 'nav-keys' },
  { page: 'owners', route: { page: 'owners' }, label: 'nav.owners', testId: 'nav-owners' },
  { page: 'settings', route: { page: 'settings' }, label: 'nav.settings', testId: 'nav-settings' },
  { page: 'audit', route: { page: 'audit' }, label: 'nav.audit', testId: 'nav-audit' },
  { page: 'proxy', route: { page: 'proxy' }, label: 'nav.proxy', testId: 'nav-proxy' },
];

function Shell() {
  const { t } = useI18n();
  const { logout } = useAuth();
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  const section = route.page === 'key' ? 'keys' : route.page;
  // The key list's search, sort and page live in its URL: changing them stays on the page.
  const pageId = route.page === 'keys' ? 'keys' : hrefFor(route);

  // Move focus to the new page so keyboard and screen-reader users start at its top.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus();
    window.scrollTo?.(0, 0);
  }, [pageId]);

  useEffect(() => {
    const item = NAV.find((n) => n.page === section);
    document.title = `${item ? t(item.label) : ''} · ${t('app.title')}`;
  }, [section, t]);

  return (
    <div className="app">
      <a href="#main" className="skip-link" onClick={(e) => {
        e.preventDefault();
        mainRef.current?.focus();
      }}>
        {t('app.skipToContent')}
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <a className="brand" href={hrefFor({ page: 'overview' })}>
            <Logo />
            <span>{t('app.title')}</span>
          </a>
          <nav aria-label={t('nav.label')} className="nav">
            {NAV.map((n) => (
              <a
                key={n.page}
                href={hrefFor(n.route)}
                className="nav-link"
                aria-current={section === n.page ? 'page' : undefined}
                data-testid={n.testId}
              >
                {t(n.label)}
              </a>
            ))}
          </nav>
          <div className="topbar-tools">
            <LanguageSelect />
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => logout('user')} data-testid="logout">
              {t('nav.logout')}
            </button>
          </div>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        {route.page === 'overview' && (
          <Suspense fallback={<Loading />}>
            <OverviewPage />
          </Suspense>
        )}
        {route.page === 'requests' && (
          <Suspense fallback={<Loading />}>
            <RequestLogPage keyId={route.keyId} />
          </Suspense>
        )}
        {route.page === 'keys' && <KeysPage query={route.query ?? {}} />}
        {route.page === 'key' && (
          <Suspense fallback={<Loading />}>
            <KeyDetailPage id={route.id} />
          </Suspense>
        )}
        {route.page === 'owners' && <OwnersPage />}
        {route.page === 'settings' && <SettingsPage />}
        {route.page === 'proxy' && <ProxyInfoPage />}
        {route.page === 'audit' && <AuditPage key={route.target ?? ''} target={route.target} />}
      </main>
    </div>
  );
}

function Root() {
  const { password } = useAuth();
  if (!password) return <LoginPage />;
  return <Shell />;
}

export function App({ lang }: { lang?: Lang }) {
  return (
    <I18nProvider lang={lang}>
      <AuthProvider>
        <Root />
      </AuthProvider>
    </I18nProvider>
  );
}
