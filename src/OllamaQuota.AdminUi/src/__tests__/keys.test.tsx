import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { makeKey, mockApi, problem, renderApp, sampleKeys } from '../test/helpers';

const rowOf = (name: string) => {
  const row = screen.getAllByTestId('key-row').find((r) => r.getAttribute('data-key-name') === name);
  if (!row) throw new Error(`no row ${name}`);
  return row;
};
const names = () => screen.getAllByTestId('key-row').map((r) => r.getAttribute('data-key-name'));

describe('keys table', () => {
  it('renders every key with status, dates and usage bars', async () => {
    mockApi({ 'GET /api/api-keys': { body: sampleKeys() } });
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

  it('filters by name or prefix and by status', async () => {
    mockApi({ 'GET /api/api-keys': { body: sampleKeys() } });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    await user.type(screen.getByTestId('keys-search'), 'BRA');
    expect(names()).toEqual(['bravo']);
    expect(screen.getByTestId('keys-count')).toHaveTextContent('1 of 4 keys');

    await user.clear(screen.getByTestId('keys-search'));
    await user.type(screen.getByTestId('keys-search'), 'sk-delt');
    expect(names()).toEqual(['delta']);

    await user.clear(screen.getByTestId('keys-search'));
    await user.selectOptions(screen.getByTestId('keys-status-filter'), 'deactivated');
    expect(names()).toEqual(['charlie']);

    await user.type(screen.getByTestId('keys-search'), 'zzz');
    expect(screen.getByTestId('keys-no-match')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Clear filter' }));
    expect(names()).toHaveLength(4);
  });

  it('sorts by column, toggling direction, and marks the sorted header', async () => {
    mockApi({ 'GET /api/api-keys': { body: sampleKeys() } });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    // Default: newest first.
    expect(names()).toEqual(['bravo', 'alpha', 'charlie', 'delta']);

    await user.click(screen.getByTestId('sort-name'));
    expect(names()).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    expect(screen.getByTestId('sort-name').closest('th')).toHaveAttribute('aria-sort', 'ascending');

    await user.click(screen.getByTestId('sort-name'));
    expect(names()).toEqual(['delta', 'charlie', 'bravo', 'alpha']);
    expect(screen.getByTestId('sort-name').closest('th')).toHaveAttribute('aria-sort', 'descending');

    await user.click(screen.getByTestId('sort-expires'));
    // Descending: "never" after every date sorts first.
    expect(names().slice(2)).toEqual(['bravo', 'delta']);

    // Today's usage, nearest its limit first: bravo 80 %, alpha 50 %.
    await user.click(screen.getByTestId('sort-today'));
    expect(names().slice(0, 2)).toEqual(['bravo', 'alpha']);
  });

  it('shows an empty state when there are no keys', async () => {
    mockApi({ 'GET /api/api-keys': { body: [] } });
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
