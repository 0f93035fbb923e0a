import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { keyRoutes, makeKey, makeOwner, type Call, mockApi, problem, renderApp, sampleKeys } from '../test/helpers';

const rowOf = (name: string) => {
  const row = screen.getAllByTestId('key-row').find((r) => r.getAttribute('data-key-name') === name);
  if (!row) throw new Error(`no row ${name}`);
  return row;
};
const names = () => screen.getAllByTestId('key-row').map((r) => r.getAttribute('data-key-name'));
const lastListCall = (calls: Call[]) => calls.filter((c) => c.method === 'GET' && c.path.startsWith('/api/api-keys?')).at(-1)?.path;

describe('keys table', () => {
  it('renders every key with status, dates and usage bars', async () => {
    mockApi({ ...keyRoutes(sampleKeys()) });
    renderApp();
    await screen.findByTestId('keys-table');
    expect(screen.getAllByTestId('key-row')).toHaveLength(4);

    const alpha = within(rowOf('alpha'));
    expect(alpha.getByTestId('key-prefix')).toHaveTextContent('sk-alphaxxx…');
    expect(alpha.getByTestId('key-status')).toHaveTextContent('active');
    expect(alpha.getByTestId('key-created')).toHaveTextContent('Oct 1, 2026');
    expect(alpha.getByTestId('key-expires')).toHaveTextContent('never');

    // 500 of 1,000 tokens today: green; 9,000 of 10,000 this month: red; 50 of 100 requests: green.
    const todayTokens = alpha.getByTestId('usage-today-tokens');
    expect(todayTokens).toHaveAttribute('data-used', '500');
    expect(todayTokens).toHaveAttribute('data-limit', '1000');
    expect(todayTokens).toHaveAttribute('data-level', 'ok');
    expect(within(todayTokens).getByTestId('usage-value')).toHaveTextContent('500 / 1,000');
    expect(within(todayTokens).getByRole('meter')).toHaveAttribute('aria-valuenow', '500');
    expect(alpha.getByTestId('usage-month-tokens')).toHaveAttribute('data-level', 'danger');
    expect(alpha.getByTestId('usage-today-requests')).toHaveTextContent('50 / 100');

    // No monthly request limit: "unlimited", no meter.
    const monthRequests = alpha.getByTestId('usage-month-requests');
    expect(monthRequests).toHaveAttribute('data-level', 'unlimited');
    expect(monthRequests).toHaveTextContent('95 / unlimited');
    expect(within(monthRequests).queryByRole('meter')).toBeNull();

    // 800 of 1,000 → amber.
    expect(within(rowOf('bravo')).getByTestId('usage-today-tokens')).toHaveAttribute('data-level', 'warn');
    expect(within(rowOf('bravo')).getByTestId('key-expires')).toHaveTextContent('Dec 31, 2026');

    expect(within(rowOf('charlie')).getByTestId('key-status')).toHaveTextContent('deactivated');
    expect(within(rowOf('delta')).getByTestId('key-status')).toHaveTextContent('expired');
    // A deactivated key cannot be edited or deactivated again.
    expect(within(rowOf('charlie')).queryByTestId('deactivate-button')).toBeNull();
    expect(within(rowOf('charlie')).queryByTestId('edit-quota-button')).toBeNull();
  });

  it('searches by name or prefix and filters by status on the server, keeping both in the URL', async () => {
    const { calls } = mockApi(keyRoutes(sampleKeys()));
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');
    expect(screen.getByTestId('keys-count')).toHaveTextContent('1–4 of 4 keys');

    await user.type(screen.getByTestId('keys-search'), 'BRA');
    await waitFor(() => expect(names()).toEqual(['bravo']));
    expect(screen.getByTestId('keys-count')).toHaveTextContent('1–1 of 1 keys');
    expect(lastListCall(calls)).toBe('/api/api-keys?search=BRA&limit=50&offset=0');
    expect(window.location.hash).toBe('#/keys?search=BRA');
    // The page stays, and so does the focus in the search box.
    expect(screen.getByTestId('keys-search')).toHaveFocus();

    await user.clear(screen.getByTestId('keys-search'));
    await user.type(screen.getByTestId('keys-search'), 'sk-delt');
    await waitFor(() => expect(names()).toEqual(['delta']));

    await user.clear(screen.getByTestId('keys-search'));
    await user.selectOptions(screen.getByTestId('keys-status-filter'), 'deactivated');
    await waitFor(() => expect(names()).toEqual(['charlie']));
    expect(window.location.hash).toBe('#/keys?status=deactivated');

    await user.type(screen.getByTestId('keys-search'), 'zzz');
    expect(await screen.findByTestId('keys-no-match')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Clear filter' }));
    await waitFor(() => expect(names()).toHaveLength(4));
    expect(screen.getByTestId('keys-search')).toHaveValue('');
    expect(screen.getByTestId('keys-status-filter')).toHaveValue('all');
  });

  it('sorts by the columns the server sorts by, toggling direction, and marks the sorted header', async () => {
    const { calls } = mockApi(keyRoutes(sampleKeys()));
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    // Default: newest first.
    expect(names()).toEqual(['bravo', 'alpha', 'charlie', 'delta']);

    await user.click(screen.getByTestId('sort-name'));
    await waitFor(() => expect(names()).toEqual(['alpha', 'bravo', 'charlie', 'delta']));
    expect(screen.getByTestId('sort-name').closest('th')).toHaveAttribute('aria-sort', 'ascending');
    expect(lastListCall(calls)).toBe('/api/api-keys?sort=name&dir=asc&limit=50&offset=0');

    await user.click(screen.getByTestId('sort-name'));
    await waitFor(() => expect(names()).toEqual(['delta', 'charlie', 'bravo', 'alpha']));
    expect(screen.getByTestId('sort-name').closest('th')).toHaveAttribute('aria-sort', 'descending');

    // Latest expiry first; keys that never expire come last either way.
    await user.click(screen.getByTestId('sort-expires'));
    await waitFor(() => expect(names()).toEqual(['bravo', 'delta', 'alpha', 'charlie']));
    expect(window.location.hash).toBe('#/keys?sort=expires&dir=desc');

    // Usage and in-flight figures are no columns of the database: not sortable.
    for (const column of ['status', 'inFlight', 'minute', 'hour', 'today', 'month']) expect(screen.queryByTestId(`sort-${column}`)).toBeNull();
  });

  it('pages by 50 on the server with the total, the page kept in the URL, a new search from the first page', async () => {
    const many = Array.from({ length: 120 }, (_, i) => makeKey({ name: `k${String(i).padStart(3, '0')}` }));
    const { calls } = mockApi(keyRoutes(many));
    const user = userEvent.setup();
    renderApp({ hash: '#/keys?sort=name' });
    await screen.findByTestId('keys-table');

    expect(names()).toHaveLength(50);
    expect(names()[0]).toBe('k000');
    expect(screen.getByTestId('keys-count')).toHaveTextContent('1–50 of 120 keys');
    expect(screen.getByTestId('keys-page-of')).toHaveTextContent('Page 1 of 3');
    expect(screen.getByTestId('keys-prev')).toBeDisabled();

    await user.click(screen.getByTestId('keys-next'));
    await waitFor(() => expect(names()[0]).toBe('k050'));
    expect(window.location.hash).toBe('#/keys?sort=name&page=2');
    expect(screen.getByTestId('keys-count')).toHaveTextContent('51–100 of 120 keys');
    expect(lastListCall(calls)).toBe('/api/api-keys?sort=name&limit=50&offset=50');

    await user.click(screen.getByTestId('keys-next'));
    await waitFor(() => expect(names()[0]).toBe('k100'));
    expect(names()).toHaveLength(20);
    expect(screen.getByTestId('keys-next')).toBeDisabled();

    // A link (or a reload) to a page opens that page.
    window.location.hash = '#/keys?sort=name&page=2';
    await waitFor(() => expect(names()[0]).toBe('k050'));
    expect(screen.getByTestId('keys-page-of')).toHaveTextContent('Page 2 of 3');

    await user.type(screen.getByTestId('keys-search'), 'k11');
    await waitFor(() => expect(names()).toEqual(Array.from({ length: 10 }, (_, i) => `k11${i}`)));
    expect(window.location.hash).toBe('#/keys?search=k11&sort=name');
    expect(screen.queryByTestId('keys-pager')).toBeNull();
  });

  it('names a few of an owner’s keys on the owners page and links to all of them, filtered on the server', async () => {
    const held = Array.from({ length: 7 }, (_, i) => makeKey({ name: `team-${i}`, owner_id: 'owner-Team', owner_name: 'Team' }));
    const { calls } = mockApi({
      ...keyRoutes([...held, makeKey({ name: 'solo' }), makeKey({ name: 'other' })]),
      'GET /api/owners': { body: [makeOwner({ name: 'Team', keys: held.map(({ id, name, key_prefix, status }) => ({ id, name, key_prefix, status })) })] },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/owners' });

    const keys = within(await screen.findByTestId('owner-keys'));
    expect(keys.getAllByRole('link')).toHaveLength(6);
    await user.click(keys.getByTestId('owner-all-keys'));
    await waitFor(() => expect(names()).toHaveLength(7));
    expect(window.location.hash).toBe('#/keys?owner_id=owner-Team');
    expect(lastListCall(calls)).toBe('/api/api-keys?owner_id=owner-Team&limit=50&offset=0');
    expect(screen.getByTestId('keys-owner-filter')).toHaveTextContent('Owner: Team');

    await user.click(screen.getByTestId('keys-owner-filter-clear'));
    await waitFor(() => expect(names()).toHaveLength(9));
    expect(screen.queryByTestId('keys-owner-filter')).toBeNull();
  });

  it('shows an empty state when there are no keys', async () => {
    mockApi({ ...keyRoutes([]) });
    renderApp();
    expect(await screen.findByTestId('keys-empty')).toHaveTextContent('No API keys yet.');
  });

  it('shows a loading state, then the problem detail on error, and retries', async () => {
    let fail = true;
    mockApi({
      'GET /api/api-keys': () =>
        fail ? problem(503, 'Service Unavailable', 'The database is not reachable.') : { body: [makeKey({ name: 'ok' })] },
    });
    const user = userEvent.setup();
    renderApp();
    expect(screen.getByTestId('keys-loading')).toBeInTheDocument();
    const alert = await screen.findByTestId('keys-error');
    expect(alert).toHaveTextContent('The database is not reachable.');

    fail = false;
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('key-row')).toHaveAttribute('data-key-name', 'ok');
    expect(screen.queryByTestId('keys-error')).toBeNull();
  });

  it('falls back to the problem title when there is no detail', async () => {
    mockApi({ 'GET /api/api-keys': problem(500, 'Internal Server Error') });
    renderApp();
    expect(await screen.findByTestId('keys-error')).toHaveTextContent('Internal Server Error');
  });
});
