import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { keyRoutes, makeKey, mockApi, problem, renderApp, sampleKeys } from '../test/helpers';

const rowOf = (name: string) =>
  screen.getAllByTestId('key-row').find((r) => r.getAttribute('data-key-name') === name)!;

describe('rotate', () => {
  it('sends the grace period, shows the new key once with the old one’s end, and keeps the key in its row', async () => {
    const keys = sampleKeys();
    const { calls } = mockApi({
      ...keyRoutes(keys),
      'POST /api/api-keys/id-alpha/rotate': {
        body: {
          ...keys[0],
          key_prefix: 'sk-NEWNEWNE',
          rotated_at: '2026-11-22T12:00:00Z',
          previous_key_prefix: keys[0].key_prefix,
          previous_key_expires_at: '2026-11-22T14:00:00Z',
          key: 'sk-NEWNEWNEsecretsecretsecret',
        },
      },
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    await user.click(within(rowOf('alpha')).getByTestId('rotate-button'));
    const dialog = screen.getByRole('dialog', { name: 'Rotate key — alpha' });
    const hours = within(dialog).getByLabelText('Grace period (hours)');
    expect(hours).toHaveValue('24');
    await user.clear(hours);
    await user.type(hours, '2');
    await user.click(within(dialog).getByRole('button', { name: 'Rotate key' }));

    const shown = await screen.findByRole('dialog', { name: 'Key rotated' });
    expect(within(shown).getByTestId('plaintext-key')).toHaveValue('sk-NEWNEWNEsecretsecretsecret');
    expect(shown).toHaveTextContent(`The old one (${keys[0].key_prefix}…) keeps working until`);
    expect(calls.filter((c) => c.method === 'POST')).toEqual([
      expect.objectContaining({ path: '/api/api-keys/id-alpha/rotate', body: { grace_hours: 2 } }),
    ]);
    await user.click(within(shown).getByTestId('key-created-done'));

    expect(screen.queryByTestId('plaintext-key')).toBeNull();
    expect(within(rowOf('alpha')).getByTestId('key-prefix')).toHaveTextContent('sk-NEWNEWNE…');
    expect(document.body.textContent).not.toContain('secretsecret');
  });

  it('refuses a grace period that is not a whole number of hours up to 720, and shows the server’s word', async () => {
    const { calls } = mockApi({
      ...keyRoutes(sampleKeys()),
      'POST /api/api-keys/id-alpha/rotate': problem(400, 'The key was not rotated.', undefined, { grace_hours: ['must be a whole number of hours'] }),
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');
    await user.click(within(rowOf('alpha')).getByTestId('rotate-button'));
    const dialog = screen.getByRole('dialog');
    const hours = within(dialog).getByLabelText('Grace period (hours)');

    for (const bad of ['1.5', '-1', '721', 'soon']) {
      await user.clear(hours);
      await user.type(hours, bad);
      await user.click(within(dialog).getByRole('button', { name: 'Rotate key' }));
      expect(hours).toHaveAttribute('aria-invalid', 'true');
    }
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    await user.clear(hours);
    await user.type(hours, '0');
    await user.click(within(dialog).getByRole('button', { name: 'Rotate key' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The key was not rotated.');
    expect(hours).toHaveAccessibleDescription(/must be a whole number of hours/);
  });

  it('warns that rotating again ends a running grace period', async () => {
    const keys = [makeKey({ name: 'alpha', previous_key_prefix: 'sk-oldoldol', previous_key_expires_at: '2999-01-01T00:00:00Z' })];
    mockApi({ ...keyRoutes(keys) });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    await user.click(within(rowOf('alpha')).getByTestId('rotate-button'));

    expect(screen.getByTestId('rotate-grace-warning')).toHaveTextContent('sk-oldoldol… replaced by the last rotation still works');
  });
});

describe('reactivate and delete', () => {
  it('reactivates a deactivated key after confirmation', async () => {
    const keys = sampleKeys();
    const { calls } = mockApi({
      ...keyRoutes(keys),
      'POST /api/api-keys/id-charlie/reactivate': { body: { ...keys[2], status: 'active', deactivated_at: null } },
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');
    expect(within(rowOf('charlie')).queryByTestId('edit-quota-button')).toBeNull();

    await user.click(within(rowOf('charlie')).getByTestId('reactivate-button'));
    const dialog = screen.getByRole('alertdialog', { name: 'Reactivate key?' });
    expect(dialog).toHaveTextContent('An expired key stays expired');
    await user.click(within(dialog).getByTestId('reactivate-confirm'));

    await waitFor(() => expect(rowOf('charlie')).toHaveAttribute('data-status', 'active'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/api-keys/id-charlie/reactivate']);
    expect(screen.getByTestId('notice')).toHaveTextContent('Key “charlie” reactivated.');
  });

  it('deletes a key from its page; it leaves the list and shows again under the deleted filter', async () => {
    const keys = sampleKeys();
    const { calls } = mockApi({
      ...keyRoutes(keys),
      'GET /api/api-keys/id-bravo/usage/daily': { body: [] },
      'GET /api/api-keys/id-bravo/usage/monthly': { body: [] },
      'DELETE /api/api-keys/id-bravo': () => ({ body: Object.assign(keys[1], { status: 'deleted', deleted_at: '2026-11-22T12:00:00Z' }) }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/keys/id-bravo' });
    await screen.findByTestId('detail-key-name');

    await user.click(screen.getByTestId('delete-button'));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete key?' });
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByTestId('delete-confirm'));

    await waitFor(() => expect(screen.getByTestId('key-status')).toHaveTextContent('deleted'));
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/api-keys/id-bravo']);
    expect(screen.queryByTestId('rotate-button')).toBeNull();
    expect(screen.queryByTestId('delete-button')).toBeNull();

    await user.click(screen.getByTestId('back-to-keys'));
    await screen.findByTestId('keys-table');
    expect(screen.getAllByTestId('key-row').map((r) => r.getAttribute('data-key-name'))).not.toContain('bravo');
    await user.selectOptions(screen.getByTestId('keys-status-filter'), 'deleted');
    await waitFor(() => expect(screen.getAllByTestId('key-row').map((r) => r.getAttribute('data-key-name'))).toEqual(['bravo']));
    expect(calls.some((c) => c.path.startsWith('/api/api-keys?status=deleted'))).toBe(true);
  });

  it('offers the deleted keys when every key is deleted', async () => {
    const gone = makeKey({ name: 'gone', status: 'deleted', deleted_at: '2026-11-20T10:00:00Z' });
    mockApi(keyRoutes([gone]));
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-empty');

    await user.click(screen.getByTestId('keys-show-deleted'));

    await waitFor(() => expect(rowOf('gone')).toHaveAttribute('data-status', 'deleted'));
    expect(screen.getByTestId('keys-status-filter')).toHaveValue('deleted');
    expect(within(rowOf('gone')).queryByRole('button')).toBeNull();
  });
});
