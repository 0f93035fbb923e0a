import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiKey } from '../api/types';
import { keyRoutes, makeKey, mockApi, problem, renderApp } from '../test/helpers';

const busy = () =>
  makeKey({
    name: 'busy',
    requests_per_minute: 10,
    tokens_per_hour: 5000,
    max_concurrent_requests: 4,
    daily_tokens: 100000,
    in_flight: 4,
    usage: {
      today: { requests: 40, prompt_tokens: 3000, completion_tokens: 1000, tokens: 4000, gpu_seconds: 0, timed_requests: 0 },
      month: { requests: 40, prompt_tokens: 3000, completion_tokens: 1000, tokens: 4000, gpu_seconds: 0, timed_requests: 0 },
      hour: { requests: 12, prompt_tokens: 900, completion_tokens: 300, tokens: 1200, gpu_seconds: 0, timed_requests: 0 },
      minute: { requests: 7, prompt_tokens: 70, completion_tokens: 30, tokens: 100, gpu_seconds: 0, timed_requests: 0 },
    },
  });

const rowOf = (name: string) => screen.getAllByTestId('key-row').find((r) => r.getAttribute('data-key-name') === name)!;

describe('minute, hour and in-flight limits', () => {
  beforeAll(async () => {
    await import('../keys/KeyDetailPage');
  }, 30_000);

  it('creates a key with the new limits, leaving the empty ones out', async () => {
    const { calls } = mockApi({
      ...keyRoutes([]),
      'POST /api/api-keys': (call) => ({
        status: 201,
        body: { ...makeKey({ name: 'k' }), ...(call.body as object), key: 'sk-secret' } as CreatedApiKey,
      }),
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-empty');

    await user.click(screen.getByTestId('create-key-button'));
    const dialog = screen.getByRole('dialog', { name: 'Create API key' });
    await user.type(within(dialog).getByLabelText('Name'), 'k');
    await user.type(within(dialog).getByLabelText('Requests per minute'), '60');
    await user.type(within(dialog).getByLabelText('Tokens per hour'), '50000');
    await user.type(within(dialog).getByTestId('create-key-max-concurrent-requests'), '3');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));

    await screen.findByRole('dialog', { name: 'Key created' });
    const body = calls.find((c) => c.method === 'POST')!.body as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'k', requests_per_minute: 60, tokens_per_hour: 50000, max_concurrent_requests: 3 });
    expect(body).not.toHaveProperty('tokens_per_minute');
    expect(body).not.toHaveProperty('requests_per_hour');
  });

  it('refuses a bad in-flight limit before sending, and shows the server naming a field', async () => {
    const { calls } = mockApi({
      ...keyRoutes([busy()]),
      'PATCH /api/api-keys/id-busy/quota': problem(400, 'The quota was not changed.', undefined, {
        tokens_per_minute: ['must be zero or a positive whole number, or null for unlimited'],
      }),
    });
    const user = userEvent.setup();
    renderApp();
    await screen.findByTestId('keys-table');

    await user.click(within(rowOf('busy')).getByTestId('edit-quota-button'));
    const dialog = screen.getByRole('dialog', { name: 'Edit quota — busy' });
    expect(within(dialog).getByLabelText('Requests per minute')).toHaveValue('10');
    expect(within(dialog).getByTestId('edit-quota-max-concurrent-requests')).toHaveValue('4');
    await user.clear(within(dialog).getByTestId('edit-quota-max-concurrent-requests'));
    await user.type(within(dialog).getByTestId('edit-quota-max-concurrent-requests'), 'two');
    await user.click(within(dialog).getByRole('button', { name: 'Save quota' }));
    expect(within(dialog).getByTestId('edit-quota-max-concurrent-requests')).toHaveAttribute('aria-invalid', 'true');
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);

    await user.clear(within(dialog).getByTestId('edit-quota-max-concurrent-requests'));
    await user.type(within(dialog).getByTestId('edit-quota-max-concurrent-requests'), '2');
    await user.click(within(dialog).getByRole('button', { name: 'Save quota' }));
    await waitFor(() => expect(within(dialog).getByTestId('edit-quota-tokens-per-minute')).toHaveAttribute('aria-invalid', 'true'));
    expect((calls.find((c) => c.method === 'PATCH')!.body as Record<string, unknown>).max_concurrent_requests).toBe(2);
  });

  it('shows requests in flight now and minute and hour usage in the keys table', async () => {
    mockApi({ ...keyRoutes([busy(), makeKey({ name: 'idle' })]) });
    renderApp();
    await screen.findByTestId('keys-table');

    const busyRow = within(rowOf('busy'));
    expect(busyRow.getByTestId('key-in-flight')).toHaveTextContent('4 / 4');
    expect(busyRow.getByTestId('key-in-flight')).toHaveClass('in-flight-full');
    expect(busyRow.getByTestId('usage-minute-requests')).toHaveTextContent('7 / 10');
    expect(busyRow.getByTestId('usage-hour-tokens')).toHaveTextContent('1,200 / 5,000');
    expect(busyRow.getByTestId('usage-minute-tokens')).toHaveAttribute('data-limit', 'unlimited');
    expect(within(rowOf('idle')).getByTestId('key-in-flight')).toHaveTextContent('0');
  });

  it('shows every limit of a key in one place on its page, in German too', async () => {
    mockApi({
      ...keyRoutes([busy()]),
      'GET /api/api-keys/id-busy/usage/daily': { body: [] },
      'GET /api/api-keys/id-busy/usage/monthly': { body: [] },
    });
    renderApp({ hash: '#/keys/id-busy', lang: 'de' });

    const limits = await screen.findByTestId('key-limits');
    expect(within(limits).getByTestId('limit-requests-per-minute')).toHaveTextContent('Anfragen pro Minute10');
    expect(within(limits).getByTestId('limit-tokens-per-hour')).toHaveAttribute('data-limit', '5000');
    expect(within(limits).getByTestId('limit-monthly-tokens')).toHaveTextContent('unbegrenzt');
    expect(within(limits).getByTestId('limit-max-concurrent-requests')).toHaveTextContent('Gleichzeitige Anfragen4');
    expect(within(limits).getByTestId('key-in-flight')).toHaveTextContent('4 / 4');
    expect(screen.getByTestId('usage-minute-requests')).toHaveTextContent('7 / 10');
  });
});
