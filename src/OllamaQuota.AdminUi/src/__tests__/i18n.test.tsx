import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { de } from '../i18n/de';
import { en } from '../i18n/en';
import { initialLang } from '../i18n';
import { keyRoutes, mockApi, renderApp, sampleKeys } from '../test/helpers';

describe('i18n', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('has the same keys, all non-empty, in both languages', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    for (const v of Object.values(de)) expect(v.trim()).not.toBe('');
  });

  it('follows the browser language, and a remembered choice wins', () => {
    vi.stubGlobal('navigator', { ...navigator, languages: ['de-AT', 'en'], language: 'de-AT' });
    expect(initialLang()).toBe('de');
    sessionStorage.setItem('oq.lang', 'en');
    expect(initialLang()).toBe('en');
    sessionStorage.clear();
    vi.stubGlobal('navigator', { ...navigator, languages: ['fr-FR'], language: 'fr-FR' });
    expect(initialLang()).toBe('en');
  });

  it('switches language, updates texts and number formats, and remembers the choice', async () => {
    mockApi({ ...keyRoutes(sampleKeys()) });
    const user = userEvent.setup();
    renderApp({ lang: 'en' });
    await screen.findByTestId('keys-table');
    expect(screen.getByRole('heading', { name: 'API keys' })).toBeInTheDocument();
    expect(screen.getAllByTestId('usage-today-tokens')[1]).toHaveTextContent('500 / 1,000');

    await user.selectOptions(screen.getByTestId('lang-select'), 'de');
    expect(screen.getByRole('heading', { name: 'API-Schlüssel' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Schlüssel erstellen/ })).toBeInTheDocument();
    expect(screen.getAllByTestId('usage-today-tokens')[1]).toHaveTextContent('500 / 1.000');
    expect(screen.getAllByTestId('usage-month-requests')[1]).toHaveTextContent('95 / unbegrenzt');
    expect(document.documentElement.lang).toBe('de');
    expect(sessionStorage.getItem('oq.lang')).toBe('de');
    expect(localStorage.getItem('oq.lang')).toBeNull();
  });

  it('offers the switch on the login page too', async () => {
    mockApi({});
    const user = userEvent.setup();
    renderApp({ loggedIn: false, lang: 'en' });
    await user.selectOptions(screen.getByTestId('lang-select'), 'de');
    expect(screen.getByLabelText('Admin-Passwort')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Anmelden' })).toBeInTheDocument();
  });
});
