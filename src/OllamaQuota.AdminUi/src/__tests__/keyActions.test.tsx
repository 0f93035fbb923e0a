import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ApiKey, QuotaPatch } from '../api/types';
import { keyRoutes, mockApi, problem, renderApp, sampleKeys } from '../test/helpers';

const rowOf = (name: string) =>
  screen.getAllByTestId('key-row').find((r) => r.getAttribute('data-key-name') === name)!;

describe('edit quota', () => {
  it('sends PATCH with null for cleared limits and updates the row in place', async () => {
    const keys = sampleKeys();
    const { calls } = mockApi({
      ...keyRoutes(keys),
      'PATCH /api/api-keys/id-alpha/quota': (call) => ({ body: { ...keys[0], ...(call.body as Partial<ApiKey>) } }),
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    await user.click(within(rowOf('alpha')).getByTestId('edit-quota-button'));
    const dialog = screen.getByRole('dialog', { name: 'Edit quota — alpha' });
    // Prefilled with the current limits; empty = unlimited.
    expect(within(dialog).getByLabelText('Daily tokens')).toHaveValue('1000');
    expect(within(dialog).getByLabelText('Monthly requests')).toHaveValue('');

    await user.clear(within(dialog).getByLabelText('Daily tokens'));
    await user.clear(within(dialog).getByLabelText('Monthly tokens'));
    await user.type(within(dialog).getByLabelText('Monthly tokens'), '20000');
    await user.click(within(dialog).getByRole('button', { name: 'Save quota' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const patch = calls.find((c) => c.method === 'PATCH')!;
    expect(patch.body).toEqual({
      daily_tokens: null,
      monthly_tokens: 20000,
      daily_requests: 100,
      monthly_requests: null,
      requests_per_minute: null,
      tokens_per_minute: null,
      requests_per_hour: null,
      tokens_per_hour: null,
      max_concurrent_requests: null,
    });

    // No reload: the row shows the server's answer.
    expect(calls.filter((c) => c.method === 'GET' && c.path.startsWith('/api/api-keys?'))).toHaveLength(1);
    const row = within(rowOf('alpha'));
    expect(row.getByTestId('usage-today-tokens')).toHaveTextContent('500 / unlimited');
    expect(row.getByTestId('usage-month-tokens')).toHaveTextContent('9,000 / 20,000');
    expect(screen.getByTestId('notice')).toHaveTextContent('Quota of “alpha” updated.');
  });

  it('rejects a non-number and shows server errors', async () => {
    const { calls } = mockApi({
      ...keyRoutes(sampleKeys()),
      'PATCH /api/api-keys/id-alpha/quota': problem(400, 'Bad Request', 'Invalid quota.', { daily_requests: ['Too large.'] }),
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');
    await user.click(within(rowOf('alpha')).getByTestId('edit-quota-button'));
    const dialog = screen.getByRole('dialog');

    await user.type(within(dialog).getByLabelText('Daily requests'), 'x');
    await user.click(within(dialog).getByRole('button', { name: 'Save quota' }));
    expect(within(dialog).getByLabelText('Daily requests')).toHaveAttribute('aria-invalid', 'true');
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);

    await user.clear(within(dialog).getByLabelText('Daily requests'));
    await user.type(within(dialog).getByLabelText('Daily requests'), '99999999');
    await user.click(within(dialog).getByRole('button', { name: 'Save quota' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Invalid quota.');
    expect(within(dialog).getByLabelText('Daily requests')).toHaveAccessibleDescription('Too large.');
  });
});

describe('deactivate', () => {
  it('asks for confirmation; Cancel and Escape send nothing', async () => {
    const { calls } = mockApi({ ...keyRoutes(sampleKeys()) });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    await user.click(within(rowOf('bravo')).getByTestId('deactivate-button'));
    const dialog = screen.getByRole('alertdialog', { name: 'Deactivate key?' });
    expect(dialog).toHaveTextContent('bravo');
    // The safe choice has the focus.
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();

    await user.click(within(rowOf('bravo')).getByTestId('deactivate-button'));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(within(rowOf('bravo')).getByTestId('deactivate-button')).toHaveFocus();

    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);
    expect(rowOf('bravo')).toHaveAttribute('data-status', 'active');
  });

  it('deactivates after confirmation and updates the row without a reload', async () => {
    const keys = sampleKeys();
    const { calls } = mockApi({
      ...keyRoutes(keys),
      'PUT /api/api-keys/id-bravo/deactivate': {
        body: { ...keys[1], status: 'deactivated', deactivated_at: '2026-11-22T12:00:00Z' },
      },
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    await user.click(within(rowOf('bravo')).getByTestId('deactivate-button'));
    await user.click(screen.getByTestId('deactivate-confirm'));

    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect(calls.filter((c) => c.method === 'PUT').map((c) => c.path)).toEqual(['/api/api-keys/id-bravo/deactivate']);
    expect(rowOf('bravo')).toHaveAttribute('data-status', 'deactivated');
    expect(within(rowOf('bravo')).getByTestId('key-status')).toHaveTextContent('deactivated');
    expect(within(rowOf('bravo')).queryByTestId('deactivate-button')).toBeNull();
    expect(calls.filter((c) => c.method === 'GET' && c.path.startsWith('/api/api-keys?'))).toHaveLength(1);
  });

  it('keeps the dialog open and shows the error when deactivation fails', async () => {
    mockApi({
      ...keyRoutes(sampleKeys()),
      'PUT /api/api-keys/id-bravo/deactivate': problem(404, 'Not Found', 'The key does not exist.'),
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');
    await user.click(within(rowOf('bravo')).getByTestId('deactivate-button'));
    await user.click(screen.getByTestId('deactivate-confirm'));
    expect(await within(screen.getByRole('alertdialog')).findByRole('alert')).toHaveTextContent('The key does not exist.');
  });
});

describe('allowed models', () => {
  it('edits the allow-list, one model per line, and shows a server error next to it', async () => {
    const keys = sampleKeys();
    keys[0] = { ...keys[0], allowed_models: ['llama3'] };
    let attempt = 0;
    const { calls } = mockApi({
      ...keyRoutes(keys),
      'PATCH /api/api-keys/id-alpha/quota': (call) =>
        ++attempt === 1
          ? problem(400, 'Bad Request', 'The quota was not changed.', { allowed_models: ["entry 2 ('bad name') must be an Ollama model name"] })
          : { body: { ...keys[0], ...(call.body as Partial<ApiKey>) } },
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');
    await user.click(within(rowOf('alpha')).getByTestId('edit-quota-button'));
    const dialog = screen.getByRole('dialog', { name: 'Edit quota — alpha' });
    const field = within(dialog).getByLabelText(/Allowed models/);
    expect(field).toHaveValue('llama3');

    await user.type(field, '\nbad name');
    await user.click(within(dialog).getByRole('button', { name: 'Save quota' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The quota was not changed.');
    expect(field).toHaveAccessibleDescription(/entry 2 \('bad name'\)/);

    await user.clear(field);
    await user.type(field, 'llama3.2:*{enter}qwen2.5:7b');
    await user.click(within(dialog).getByRole('button', { name: 'Save quota' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const patches = calls.filter((c) => c.method === 'PATCH');
    expect((patches[0].body as QuotaPatch).allowed_models).toEqual(['llama3', 'bad name']);
    expect((patches[1].body as QuotaPatch).allowed_models).toEqual(['llama3.2:*', 'qwen2.5:7b']);
  });
});
