import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Overview, OverviewUsage, RequestLogItem } from '../api/types';
import { filterQuery } from '../api/client';
import { formatChartDay } from '../lib/usage';
import { mockApi, renderApp } from '../test/helpers';

const u = (requests: number, prompt: number, completion: number, extra: Partial<OverviewUsage> = {}): OverviewUsage => ({
  requests,
  prompt_tokens: prompt,
  completion_tokens: completion,
  tokens: prompt + completion,
  gpu_seconds: 0,
  timed_requests: 0,
  errors: 0,
  refused_429: 0,
  refused_503: 0,
  ...extra,
});

const overview = (period: 'today' | 'month'): Overview => ({
  period,
  from: period === 'today' ? '2026-11-22' : '2026-11-01',
  to: '2026-11-22',
  totals: period === 'today' ? u(12, 300, 200, { errors: 1, refused_429: 4, refused_503: 2, gpu_seconds: 12.5, timed_requests: 10 }) : u(340, 9000, 7000),
  by_model: [
    { model: 'llama3', usage: u(10, 250, 150, { refused_429: 4 }) },
    { model: 'qwen', usage: u(2, 50, 50, { errors: 1, refused_503: 2 }) },
  ],
  by_owner: [
    { owner_id: null, name: null, usage: u(7, 300, 100, { refused_429: 4 }) },
    { owner_id: 'id-team', name: 'Team Alice', usage: u(5, 200, 100) },
  ],
  top_keys: [
    { key_id: 'id-alpha', name: 'alpha', key_prefix: 'sk-alphaxxx', usage: u(9, 200, 100) },
    { key_id: 'id-gone', name: null, key_prefix: null, usage: u(3, 100, 100) },
  ],
  daily: [
    { day: '2026-11-01', model: 'llama3', requests: 5, prompt_tokens: 100, completion_tokens: 50, gpu_seconds: 0, timed_requests: 0, errors: 0, refused_429: 0, refused_503: 0 },
    { day: '2026-11-22', model: 'qwen', requests: 2, prompt_tokens: 50, completion_tokens: 50, gpu_seconds: 0, timed_requests: 0, errors: 1, refused_429: 0, refused_503: 2 },
  ],
});

const item = (over: Partial<RequestLogItem>): RequestLogItem => ({
  id: 'e1',
  created_at: '2026-11-22T10:00:00Z',
  key_id: 'id-alpha',
  key_name: 'alpha',
  key_prefix: 'sk-alphaxxx',
  model: 'llama3',
  endpoint: '/api/chat',
  status: 200,
  refused: false,
  prompt_tokens: 12,
  completion_tokens: 20,
  duration_ms: 340,
  gpu_seconds: 0.25,
  ...over,
});

describe('overview', () => {
  beforeAll(async () => {
    await import('../overview/OverviewPage');
    await import('../requests/RequestLogPage');
  }, 30_000);

  it('is the first page: totals, refusals and errors, by model and top keys for today', async () => {
    mockApi({
      'GET /api/overview?period=today': { body: overview('today') },
      'GET /api/api-keys': { body: [] },
    });
    renderApp({ hash: '' });

    expect(await screen.findByTestId('overview-page')).toBeInTheDocument();
    expect(screen.getByTestId('nav-overview')).toHaveAttribute('aria-current', 'page');
    // The page frame renders before the overview has loaded: wait for its figures.
    expect(await screen.findByTestId('overview-requests')).toHaveTextContent('12');
    expect(screen.getByTestId('overview-tokens')).toHaveTextContent('500');
    expect(screen.getByTestId('overview-errors')).toHaveTextContent('1');
    expect(screen.getByTestId('overview-refused-429')).toHaveTextContent('4');
    expect(screen.getByTestId('overview-refused-503')).toHaveTextContent('2');
    expect(screen.getByTestId('overview-gpu')).toHaveTextContent('12.5 s');
    expect(screen.getAllByTestId('overview-model-name').map((m) => m.textContent)).toEqual(['llama3', 'qwen']);
    const keys = screen.getAllByTestId('overview-key-row');
    expect(within(keys[0]).getByTestId('overview-key-name')).toHaveAttribute('href', '#/keys/id-alpha');
    expect(within(keys[1]).getByTestId('overview-key-name')).toHaveTextContent('deleted key');
    expect(within(keys[0]).getByTestId('overview-key-requests')).toHaveAttribute('href', '#/requests?key_id=id-alpha');
    // The chart's dates carry the year.
    expect(screen.getByTestId('overview-range')).toHaveTextContent('Nov 22, 2026 – Nov 22, 2026');
    expect(screen.getByTestId('overview-chart-canvas')).toHaveAttribute('data-models', 'llama3,qwen');
  });

  it('shows the owners, with the keys without an owner as one row', async () => {
    mockApi({
      'GET /api/overview?period=today': { body: overview('today') },
      'GET /api/api-keys': { body: [] },
    });
    renderApp({ hash: '#/' });

    const rows = await screen.findAllByTestId('overview-owner-row');
    expect(rows.map((r) => within(r).getByTestId('overview-owner-name').textContent)).toEqual(['no owner', 'Team Alice']);
    expect(within(rows[0]).getByTestId('overview-owner-name').tagName).toBe('SPAN');
    expect(within(rows[1]).getByTestId('overview-owner-name')).toHaveAttribute('href', '#/owners');
    expect(within(rows[0]).getByTestId('cell-requests')).toHaveTextContent('7');
    expect(within(rows[0]).getByTestId('cell-refused-429')).toHaveTextContent('4');
  });

  it('says so when no owner has usage', async () => {
    mockApi({
      'GET /api/overview?period=today': { body: { ...overview('today'), by_owner: [] } },
      'GET /api/api-keys': { body: [] },
    });
    renderApp({ hash: '#/' });

    expect(await screen.findByTestId('overview-by-owner-empty')).toBeInTheDocument();
  });

  it('switches to this month', async () => {
    const { calls } = mockApi({
      'GET /api/overview?period=today': { body: overview('today') },
      'GET /api/overview?period=month': { body: overview('month') },
      'GET /api/api-keys': { body: [] },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/' });
    await screen.findByTestId('overview-totals');

    await user.click(screen.getByTestId('overview-period-month'));

    await waitFor(() => expect(screen.getByTestId('overview-requests')).toHaveTextContent('340'));
    expect(screen.getByTestId('overview-period-month')).toHaveAttribute('aria-checked', 'true');
    expect(calls.map((c) => c.path)).toContain('/api/overview?period=month');
  });

  it('speaks German', async () => {
    mockApi({
      'GET /api/overview?period=today': { body: overview('today') },
      'GET /api/api-keys': { body: [] },
    });
    renderApp({ hash: '#/', lang: 'de' });

    expect(await screen.findByRole('heading', { name: 'Übersicht' })).toBeInTheDocument();
    expect(await screen.findByText('Abgelehnt: Kontingent (429)')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Nach Inhaber' })).toBeInTheDocument();
    expect(screen.getByText('ohne Inhaber')).toBeInTheDocument();
    expect(screen.getByTestId('overview-range')).toHaveTextContent('22. Nov. 2026');
  });

  it('formats chart days with their year in both languages', () => {
    expect(formatChartDay('2026-03-05', 'en-US')).toBe('Mar 5, 2026');
    expect(formatChartDay('2026-03-05', 'de-DE')).toBe('5. März 2026');
  });
});

describe('request log', () => {
  it('lists the requests with refusals marked and pages on with the cursor', async () => {
    const { calls } = mockApi({
      'GET /api/requests?limit=50': {
        body: { items: [item({ id: 'e2', status: 429, refused: true, prompt_tokens: 0, completion_tokens: 0, gpu_seconds: null }), item({})], next_cursor: 'c1' },
      },
      'GET /api/requests?cursor=c1&limit=50': { body: { items: [item({ id: 'e0', model: 'qwen' })], next_cursor: null } },
      'GET /api/api-keys': { body: [] },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/requests' });

    const rows = await screen.findAllByTestId('request-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByTestId('request-status')).toHaveTextContent('429 refused');
    expect(within(rows[1]).getByTestId('request-tokens')).toHaveTextContent('12 / 20');

    await user.click(screen.getByTestId('requests-more'));

    await waitFor(() => expect(screen.getAllByTestId('request-row')).toHaveLength(3));
    expect(screen.queryByTestId('requests-more')).not.toBeInTheDocument();
    expect(calls.filter((c) => c.path.startsWith('/api/requests')).map((c) => c.path)).toEqual([
      '/api/requests?limit=50',
      '/api/requests?cursor=c1&limit=50',
    ]);
  });

  it('filters on the server by what the form says and by a clicked model', async () => {
    const { calls } = mockApi({
      'GET /api/requests': { body: { items: [item({})], next_cursor: null } },
      'GET /api/api-keys': { body: [] },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/requests?key_id=id-alpha' });
    await screen.findAllByTestId('request-row');
    expect(screen.getByTestId('requests-filter-key_id')).toHaveValue('id-alpha');

    await user.type(screen.getByTestId('requests-filter-status'), '429');
    await user.type(screen.getByTestId('requests-filter-endpoint'), '/v1/chat/completions');
    await user.click(screen.getByTestId('requests-apply'));
    await user.click(await screen.findByTestId('request-model'));

    const paths = calls.filter((c) => c.path.startsWith('/api/requests')).map((c) => c.path);
    expect(paths[0]).toBe('/api/requests?key_id=id-alpha&limit=50');
    expect(paths).toContain('/api/requests?key_id=id-alpha&endpoint=%2Fv1%2Fchat%2Fcompletions&status=429&limit=50');
    await waitFor(() =>
      expect(calls.map((c) => c.path)).toContain('/api/requests?key_id=id-alpha&model=llama3&endpoint=%2Fv1%2Fchat%2Fcompletions&status=429&limit=50'),
    );
  });

  it('builds the CSV query from the same filter, empty values left out', () => {
    expect(filterQuery({ key_id: 'k', model: '', status: '503', from: '2026-11-01T00:00:00.000Z' })).toBe(
      '?key_id=k&status=503&from=2026-11-01T00%3A00%3A00.000Z',
    );
    expect(filterQuery({})).toBe('');
  });

  it('speaks German', async () => {
    mockApi({
      'GET /api/requests': { body: { items: [item({ status: 503, refused: true })], next_cursor: null } },
      'GET /api/api-keys': { body: [] },
    });
    renderApp({ hash: '#/requests', lang: 'de' });

    expect(await screen.findByRole('heading', { name: 'Anfragenprotokoll' })).toBeInTheDocument();
    expect(await screen.findByTestId('request-status')).toHaveTextContent('503 abgelehnt');
    expect(screen.getByRole('button', { name: 'CSV herunterladen' })).toBeInTheDocument();
  });
});
