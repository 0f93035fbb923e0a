import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { makeKey, makeOwner, mockApi, problem, renderApp } from '../test/helpers';

const team = () =>
  makeOwner({
    name: 'Team A',
    contact: 'a@example.com',
    daily_tokens: 1000,
    keys: [{ id: 'id-laptop', name: 'laptop', key_prefix: 'sk-laptopxx', status: 'active' }],
    usage: {
      today: { requests: 4, prompt_tokens: 300, completion_tokens: 200, tokens: 500, gpu_seconds: 0, timed_requests: 0 },
      month: { requests: 9, prompt_tokens: 900, completion_tokens: 600, tokens: 1500, gpu_seconds: 0, timed_requests: 0 },
      hour: { requests: 0, prompt_tokens: 0, completion_tokens: 0, tokens: 0, gpu_seconds: 0, timed_requests: 0 },
      minute: { requests: 0, prompt_tokens: 0, completion_tokens: 0, tokens: 0, gpu_seconds: 0, timed_requests: 0 },
    },
    in_flight: 2,
  });

describe('owners', () => {
  it('lists owners with their keys, use of their keys and in flight', async () => {
    mockApi({ 'GET /api/api-keys': { body: [] }, 'GET /api/owners': { body: [team()] } });
    renderApp({ hash: '#/owners' });

    const row = await screen.findByTestId('owner-row');
    expect(row).toHaveTextContent('Team A');
    expect(row).toHaveTextContent('a@example.com');
    expect(within(row).getByTestId('owner-keys')).toHaveTextContent('laptop');
    expect(within(row).getByTestId('owner-in-flight')).toHaveTextContent('2');
    expect(within(row).getByTestId('owner-usage-today-tokens')).toHaveTextContent(/500/);
  });

  it('creates an owner with limits, sending only the limits that are set', async () => {
    const { calls } = mockApi({
      'GET /api/api-keys': { body: [] },
      'GET /api/owners': { body: [] },
      'POST /api/owners': (call) => ({ status: 201, body: makeOwner({ name: 'CI', ...(call.body as object) }) }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/owners' });
    await screen.findByTestId('owners-empty');

    await user.click(screen.getByTestId('create-owner-button'));
    const dialog = screen.getByRole('dialog', { name: 'Create owner' });
    await user.type(within(dialog).getByLabelText('Name'), ' CI ');
    await user.type(within(dialog).getByLabelText('Daily requests'), '500');
    await user.type(within(dialog).getByLabelText(/Max concurrent|in flight/i), '4');
    await user.click(within(dialog).getByRole('button', { name: 'Create owner' }));

    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toMatchObject({ name: 'CI', contact: null, daily_requests: 500, max_concurrent_requests: 4, daily_tokens: null });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('shows the server’s word on a bad field and keeps the dialog open', async () => {
    mockApi({
      'GET /api/api-keys': { body: [] },
      'GET /api/owners': { body: [] },
      'POST /api/owners': problem(400, 'The owner was not created.', undefined, { contact: ['must be at most 320 characters'] }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/owners' });
    await screen.findByTestId('owners-empty');

    await user.click(screen.getByTestId('create-owner-button'));
    const dialog = screen.getByRole('dialog', { name: 'Create owner' });
    await user.type(within(dialog).getByLabelText('Name'), 'x');
    await user.click(within(dialog).getByRole('button', { name: 'Create owner' }));

    expect(await within(dialog).findByText('must be at most 320 characters')).toBeInTheDocument();
  });

  it('deletes an owner that holds keys only by detaching them, after saying so', async () => {
    const { calls } = mockApi({
      'GET /api/api-keys': { body: [] },
      'GET /api/owners': { body: [team()] },
      'DELETE /api/owners/owner-Team A?detach_keys=true': { status: 204 },
      'DELETE /api/owners/owner-Team%20A?detach_keys=true': { status: 204 },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/owners' });

    await user.click(await screen.findByTestId('delete-owner-button'));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete owner?' });
    expect(dialog).toHaveTextContent('holds 1 key(s)');
    expect(within(dialog).getByTestId('delete-owner-cancel')).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Delete and detach keys' }));

    const del = calls.find((c) => c.method === 'DELETE')!;
    expect(del.path).toMatch(/\/api\/owners\/owner-Team(%20| )A\?detach_keys=true$/);
  });

  it('gives a new key an owner, and shows it in the keys table', async () => {
    const { calls } = mockApi({
      'GET /api/api-keys': { body: [makeKey({ name: 'ci', owner_id: 'owner-Team A', owner_name: 'Team A' })] },
      'GET /api/owners': { body: [team()] },
      'POST /api/api-keys': (call) => ({
        status: 201,
        body: { ...makeKey({ name: 'laptop', owner_id: 'owner-Team A', owner_name: 'Team A' }), ...(call.body as object), key: 'sk-secret' },
      }),
    });
    const user = userEvent.setup();
    renderApp();
    expect(await screen.findByTestId('key-owner')).toHaveTextContent('Owner: Team A');

    await user.click(screen.getByTestId('create-key-button'));
    const dialog = screen.getByRole('dialog', { name: 'Create API key' });
    await user.type(within(dialog).getByLabelText('Name'), 'laptop');
    await within(dialog).findByRole('option', { name: 'Team A' });
    await user.selectOptions(within(dialog).getByTestId('create-key-owner'), 'Team A');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));

    expect(calls.find((c) => c.method === 'POST')!.body).toMatchObject({ name: 'laptop', owner_id: 'owner-Team A' });
  });

  it('moves a key to another owner from its edit dialog', async () => {
    const { calls } = mockApi({
      'GET /api/api-keys': { body: [makeKey({ name: 'ci' })] },
      'GET /api/owners': { body: [team()] },
      'PATCH /api/api-keys/id-ci/quota': { body: makeKey({ name: 'ci' }) },
      'PUT /api/api-keys/id-ci/owner': { body: makeKey({ name: 'ci', owner_id: 'owner-Team A', owner_name: 'Team A' }) },
    });
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByTestId('edit-quota-button'));
    const dialog = screen.getByTestId('edit-quota-dialog');
    await within(dialog).findByRole('option', { name: 'Team A' });
    await user.selectOptions(within(dialog).getByTestId('edit-quota-owner'), 'Team A');
    await user.click(within(dialog).getByTestId('edit-quota-submit'));

    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({ owner_id: 'owner-Team A' });
    expect(await screen.findByTestId('key-owner')).toHaveTextContent('Owner: Team A');
  });

  it('speaks German', async () => {
    mockApi({ 'GET /api/api-keys': { body: [] }, 'GET /api/owners': { body: [team()] } });
    renderApp({ hash: '#/owners', lang: 'de' });

    expect(await screen.findByRole('heading', { name: 'Inhaber' })).toBeInTheDocument();
    expect(screen.getByTestId('create-owner-button')).toHaveTextContent('Inhaber anlegen');
  });
});
