import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { CreatedApiKey } from '../api/types';
import { keyRoutes, makeKey, mockApi, problem, renderApp } from '../test/helpers';

const PLAINTEXT = 'sk-AbCdEf12ThisIsTheSecretPartOfTheKey';

function created(body: Record<string, unknown>): CreatedApiKey {
  return { ...makeKey({ name: String(body.name), key_prefix: 'sk-AbCdEf12', created_at: '2026-11-22T10:00:00Z' }), ...body, key: PLAINTEXT } as CreatedApiKey;
}

describe('create key', () => {
  it('creates a key, shows the plaintext once with a warning, and copies it', async () => {
    const keys = [makeKey({ name: 'existing' })];
    const { calls } = mockApi({
      ...keyRoutes(keys),
      'POST /api/api-keys': (call) => {
        const { key: plaintext, ...stored } = created(call.body as Record<string, unknown>);
        keys.push(stored);
        return { status: 201, body: { ...stored, key: plaintext } };
      },
    });
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    // After userEvent.setup(), which installs its own clipboard stub.
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderApp();
    await screen.findByTestId('keys-table');

    await user.click(screen.getByTestId('create-key-button'));
    const dialog = screen.getByRole('dialog', { name: 'Create API key' });
    expect(within(dialog).getByLabelText('Name')).toHaveFocus();

    await user.type(within(dialog).getByLabelText('Name'), '  open-webui  ');
    await user.type(within(dialog).getByLabelText('Daily tokens'), '100000');
    await user.type(within(dialog).getByLabelText('Monthly requests'), '5000');
    await user.type(within(dialog).getByLabelText(/Expires on/), '2030-06-30');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));

    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.path).toBe('/api/api-keys');
    const body = post.body as Record<string, unknown>;
    // Empty limits are left out (= unlimited); the date becomes the end of that local day.
    expect(body).toMatchObject({ name: 'open-webui', daily_tokens: 100000, monthly_requests: 5000 });
    expect(body).not.toHaveProperty('monthly_tokens');
    expect(body).not.toHaveProperty('daily_requests');
    expect(new Date(body.expires_at as string).getTime()).toBe(new Date(2030, 5, 30, 23, 59, 59, 999).getTime());

    const shown = await screen.findByRole('dialog', { name: 'Key created' });
    expect(within(shown).getByTestId('plaintext-key')).toHaveValue(PLAINTEXT);
    expect(within(shown).getByTestId('key-created-warning')).toHaveTextContent(/cannot be displayed again/);

    await user.click(within(shown).getByRole('button', { name: 'Copy key' }));
    expect(writeText).toHaveBeenCalledWith(PLAINTEXT);
    expect(within(shown).getByTestId('copy-key-button')).toHaveTextContent('Copied');

    // The new key is in the table (the list loaded again), without its plaintext.
    await waitFor(() => expect(screen.getAllByTestId('key-row').map((r) => r.getAttribute('data-key-name'))).toContain('open-webui'));

    await user.click(within(shown).getByRole('button', { name: 'I have copied the key' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    // Gone from the page, never stored, never logged, not in the URL.
    expect(document.body.innerHTML).not.toContain(PLAINTEXT);
    expect(JSON.stringify({ ...sessionStorage, ...localStorage })).not.toContain(PLAINTEXT);
    expect(window.location.href).not.toContain(PLAINTEXT);
    for (const spy of consoleSpies) expect(JSON.stringify(spy.mock.calls)).not.toContain(PLAINTEXT);
    // Focus goes back to the button that opened the flow.
    expect(screen.getByTestId('create-key-button')).toHaveFocus();
  });

  it('validates the name and the limits before sending', async () => {
    const { calls } = mockApi({ ...keyRoutes([]) });
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByTestId('create-key-button'));
    const dialog = screen.getByRole('dialog');
    await user.type(within(dialog).getByLabelText('Daily tokens'), '-5');
    await user.type(within(dialog).getByLabelText('Monthly tokens'), '1.5');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));

    expect(within(dialog).getByText('Please enter a name.')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Daily tokens')).toHaveAttribute('aria-invalid', 'true');
    expect(within(dialog).getByLabelText('Monthly tokens')).toHaveAttribute('aria-invalid', 'true');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('shows server field errors next to the fields and the detail on top', async () => {
    mockApi({
      ...keyRoutes([]),
      'POST /api/api-keys': problem(400, 'Validation failed', 'One or more fields are invalid.', {
        Name: ['A key with this name already exists.'],
        DailyTokens: ['Must be at most 1000000000.'],
        other: ['Something else.'],
      }),
    });
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByTestId('create-key-button'));
    const dialog = screen.getByRole('dialog');
    await user.type(within(dialog).getByLabelText('Name'), 'dup');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));

    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('One or more fields are invalid.');
    expect(alert).toHaveTextContent('other: Something else.');
    expect(within(dialog).getByText('A key with this name already exists.')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Daily tokens')).toHaveAccessibleDescription('Must be at most 1000000000.');
    // Still open, nothing shown as created.
    expect(screen.queryByTestId('key-created-dialog')).toBeNull();
  });

  it('closes with Escape and traps Tab inside the dialog', async () => {
    mockApi({ ...keyRoutes([]) });
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByTestId('create-key-button'));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveAttribute('aria-modal', 'true');

    // Shift+Tab from the first field wraps to the last button of the dialog.
    await user.tab({ shift: true });
    await user.tab({ shift: true });
    expect(dialog.contains(document.activeElement)).toBe(true);
    for (let i = 0; i < 12; i++) {
      await user.tab();
      expect(dialog.contains(document.activeElement)).toBe(true);
    }

    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getAllByTestId('create-key-button')[0]).toHaveFocus();
  });

  it('sends the allowed models, one per line, without blanks or spaces', async () => {
    const { calls } = mockApi({
      ...keyRoutes([]),
      'POST /api/api-keys': (call) => ({ status: 201, body: created(call.body as Record<string, unknown>) }),
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-empty');
    await user.click(screen.getByTestId('create-key-button'));
    const dialog = screen.getByRole('dialog', { name: 'Create API key' });

    await user.type(within(dialog).getByLabelText('Name'), 'vision');
    await user.type(within(dialog).getByLabelText(/Allowed models/), ' llama3.2-vision:* {enter}{enter}qwen2.5:7b');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));

    const post = calls.find((c) => c.method === 'POST')!;
    expect((post.body as Record<string, unknown>).allowed_models).toEqual(['llama3.2-vision:*', 'qwen2.5:7b']);
  });
});
