import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { keyRoutes, PASSWORD, mockApi, problem, renderApp, sampleKeys } from '../test/helpers';

describe('login', () => {
  it('logs in with the right password and keeps it in sessionStorage only', async () => {
    const { calls } = mockApi({
      'GET /api/settings': { body: { ollama_url: 'http://o:11434', default_model: 'llama3' } },
      ...keyRoutes(sampleKeys()),
    });
    const user = userEvent.setup();
    renderApp({ loggedIn: false });

    await user.type(screen.getByLabelText('Admin password'), PASSWORD);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'API keys' })).toBeInTheDocument();
    const check = calls.find((c) => c.path === '/api/settings')!;
    expect(check.headers.Authorization).toBe(`Bearer ${PASSWORD}`);
    // Later calls carry the same bearer.
    await screen.findByTestId('keys-table');
    expect(calls.find((c) => c.path.startsWith('/api/api-keys?'))!.headers.Authorization).toBe(`Bearer ${PASSWORD}`);
    expect(sessionStorage.getItem('oq.admin')).toBe(PASSWORD);
    expect(JSON.stringify({ ...localStorage })).not.toContain(PASSWORD);
    expect(document.cookie).not.toContain(PASSWORD);
  });

  it('shows "wrong password" on 401 and stays on the login page', async () => {
    mockApi({ 'GET /api/settings': problem(401, 'Unauthorized') });
    const user = userEvent.setup();
    renderApp({ loggedIn: false });

    await user.type(screen.getByLabelText('Admin password'), 'nope');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByTestId('login-error')).toHaveTextContent('Wrong password.');
    expect(screen.getByLabelText('Admin password')).toHaveAttribute('aria-invalid', 'true');
    expect(sessionStorage.getItem('oq.admin')).toBeNull();
  });

  it('shows the server problem detail for other errors', async () => {
    mockApi({ 'GET /api/settings': problem(500, 'Server error', 'Database is locked.') });
    const user = userEvent.setup();
    renderApp({ loggedIn: false });
    await user.type(screen.getByLabelText('Admin password'), 'x');
    await user.keyboard('{Enter}');
    expect(await screen.findByTestId('login-error')).toHaveTextContent('Database is locked.');
  });

  it('asks for a password instead of sending an empty one', async () => {
    const { calls } = mockApi({});
    const user = userEvent.setup();
    renderApp({ loggedIn: false });
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByTestId('login-error')).toHaveTextContent('Please enter the password.');
    expect(calls).toHaveLength(0);
  });

  it('logs out and forgets the password', async () => {
    mockApi({ ...keyRoutes([]) });
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Log out' }));
    expect(screen.getByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(sessionStorage.getItem('oq.admin')).toBeNull();
  });

  it('returns to the login page when the password stops working', async () => {
    mockApi({ 'GET /api/api-keys': problem(401, 'Unauthorized') });
    renderApp();
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Sign in' })).toBeInTheDocument());
    expect(screen.getByText(/no longer valid/)).toBeInTheDocument();
  });
});
