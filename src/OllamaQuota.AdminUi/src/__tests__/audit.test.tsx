import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../api/types';
import { mockApi, renderApp, sampleKeys } from '../test/helpers';

const event = (over: Partial<AuditEvent> & { id: number; action: AuditEvent['action'] }): AuditEvent => ({
  occurred_at: '2026-11-22T12:00:00Z',
  actor: 'admin',
  caller_address: '127.0.0.1',
  target_type: 'api_key',
  target_id: 'id-alpha',
  target_name: 'alpha',
  before: null,
  after: {},
  ...over,
});

const page1 = {
  items: [
    event({ id: 3, action: 'api_key.update', before: { daily_tokens: 1000, allowed_models: [] }, after: { daily_tokens: null, allowed_models: ['llama3'] } }),
    event({ id: 2, action: 'settings.update', target_type: 'settings', target_id: null, target_name: null, before: { default_model: 'llama3' }, after: { default_model: 'qwen2.5:7b' } }),
  ],
  next_cursor: 'c2',
};
const page2 = { items: [event({ id: 1, action: 'api_key.create', after: { name: 'alpha', daily_tokens: 1000, expires_at: null, deactivated_at: null } })], next_cursor: null };

describe('audit log', () => {
  it('lists changes newest first, before → after in words, and pages older and newer', async () => {
    const { calls } = mockApi({
      'GET /api/api-keys': { body: sampleKeys() },
      'GET /api/audit?page_size=50': { body: page1 },
      'GET /api/audit?page_size=50&cursor=c2': { body: page2 },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/audit' });

    const rows = await screen.findAllByTestId('audit-row');
    expect(rows.map((r) => within(r).getByTestId('audit-action').textContent)).toEqual(['Key changed', 'Settings changed']);
    const changes = within(rows[0]).getByTestId('audit-changes');
    expect(changes).toHaveTextContent('Daily tokens: 1,000 → unlimited');
    expect(changes).toHaveTextContent('Allowed models: all models → llama3');
    expect(within(rows[0]).getByTestId('audit-target')).toHaveAttribute('href', '#/keys/id-alpha');
    expect(within(rows[0]).getByTestId('audit-by')).toHaveTextContent('admin · 127.0.0.1');
    expect(within(rows[1]).getByTestId('audit-target')).toHaveTextContent('Settings');
    expect(screen.getByTestId('audit-newer')).toBeDisabled();

    await user.click(screen.getByTestId('audit-older'));
    await waitFor(() => expect(screen.getAllByTestId('audit-row')).toHaveLength(1));
    expect(screen.getByTestId('audit-changes')).toHaveTextContent('Name: alpha');
    expect(screen.getByTestId('audit-changes')).toHaveTextContent('Expires: never');
    expect(screen.getByTestId('audit-changes')).not.toHaveTextContent('Deactivated');
    expect(screen.getByTestId('audit-changes')).not.toHaveTextContent('→');
    expect(screen.getByTestId('audit-older')).toBeDisabled();

    await user.click(screen.getByTestId('audit-newer'));
    await waitFor(() => expect(screen.getAllByTestId('audit-row')).toHaveLength(2));
    expect(calls.filter((c) => c.path.startsWith('/api/audit')).map((c) => c.path)).toEqual([
      '/api/audit?page_size=50',
      '/api/audit?page_size=50&cursor=c2',
      '/api/audit?page_size=50',
    ]);
  });

  it('sends the filters to the server and starts from the newest page again', async () => {
    const { calls } = mockApi({ 'GET /api/api-keys': { body: sampleKeys() }, 'GET /api/audit': { body: { items: [], next_cursor: null } } });
    const user = userEvent.setup();
    renderApp({ hash: '#/audit/id-alpha' });
    expect(await screen.findByTestId('audit-empty')).toBeInTheDocument();
    expect(screen.getByLabelText('Key id')).toHaveValue('id-alpha');

    await user.selectOptions(screen.getByLabelText('Action'), 'api_key.rotate');
    await user.type(screen.getByLabelText('From'), '2026-11-01');
    await user.click(screen.getByRole('button', { name: 'Apply' }));

    await waitFor(() => expect(calls.filter((c) => c.path.startsWith('/api/audit'))).toHaveLength(2));
    const sent = new URL(calls.filter((c) => c.path.startsWith('/api/audit'))[1].path, 'http://x').searchParams;
    expect(sent.get('action')).toBe('api_key.rotate');
    expect(sent.get('target_id')).toBe('id-alpha');
    expect(new Date(sent.get('from')!).getTime()).toBe(new Date(2026, 10, 1).getTime());
    expect(sent.get('cursor')).toBeNull();
    expect(new URL(calls.filter((c) => c.path.startsWith('/api/audit'))[0].path, 'http://x').searchParams.get('target_id')).toBe('id-alpha');
  });

  it('speaks German', async () => {
    mockApi({ 'GET /api/api-keys': { body: sampleKeys() }, 'GET /api/audit': { body: page1 } });
    renderApp({ hash: '#/audit', lang: 'de' });

    const rows = await screen.findAllByTestId('audit-row');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Änderungsprotokoll');
    expect(within(rows[0]).getByTestId('audit-action')).toHaveTextContent('Schlüssel geändert');
    expect(within(rows[0]).getByTestId('audit-changes')).toHaveTextContent('1.000 → unbegrenzt');
  });
});
