import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { keyRoutes, mockApi, problem, renderApp, sampleKeys } from '../test/helpers';

describe('key detail', () => {
  // The page (and recharts) is lazy-loaded; load it once up front so the tests don't time out on the import.
  beforeAll(async () => {
    await import('../keys/KeyDetailPage');
  }, 30_000);

  it('shows the key, its usage and both charts with totals by model', async () => {
    const { calls } = mockApi({
      ...keyRoutes(sampleKeys()),
      'GET /api/api-keys/id-alpha/usage/daily': {
        body: [
          { day: '2026-11-20', model: 'llama3', requests: 10, prompt_tokens: 1000, completion_tokens: 500 },
          { day: '2026-11-21', model: 'llama3', requests: 5, prompt_tokens: 100, completion_tokens: 50 },
          { day: '2026-11-21', model: 'qwen', requests: 2, prompt_tokens: 20, completion_tokens: 10 },
        ],
      },
      'GET /api/api-keys/id-alpha/usage/monthly': { body: [] },
    });
    renderApp({ hash: '#/keys/id-alpha' });

    const page = await screen.findByTestId('key-detail');
    expect(await within(page).findByTestId('detail-key-name')).toHaveTextContent('alpha');
    expect(within(page).getByTestId('usage-month-tokens')).toHaveTextContent('9,000 / 10,000');

    const daily = screen.getByTestId('daily-chart');
    expect(await within(daily).findByTestId('daily-chart-canvas')).toHaveAttribute('data-models', 'llama3,qwen');
    const totals = within(within(daily).getByTestId('daily-chart-totals'));
    expect(totals.getByRole('row', { name: /llama3/ })).toHaveTextContent('15' + '1,100' + '550' + '1,650');
    expect(await within(screen.getByTestId('monthly-chart')).findByTestId('monthly-chart-empty')).toHaveTextContent(
      'No usage in this period.',
    );
    expect(calls.map((c) => c.path)).toContain('/api/api-keys/id-alpha/usage/daily?days=30');
    expect(calls.map((c) => c.path)).toContain('/api/api-keys/id-alpha/usage/monthly?months=12');
  });

  it('switches the chart metric', async () => {
    mockApi({
      ...keyRoutes(sampleKeys()),
      'GET /api/api-keys/id-alpha/usage/daily': { body: [{ day: '2026-11-20', model: 'm', requests: 1, prompt_tokens: 1, completion_tokens: 1 }] },
      'GET /api/api-keys/id-alpha/usage/monthly': { body: [] },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/keys/id-alpha' });
    const tokensOut = await screen.findByTestId('daily-chart-metric-completion_tokens');
    await user.click(tokensOut);
    expect(tokensOut).toHaveAttribute('aria-checked', 'true');
    expect(screen.getByTestId('daily-chart-metric-tokens')).toHaveAttribute('aria-checked', 'false');
  });

  it('shows usage errors and an unknown key', async () => {
    mockApi({
      ...keyRoutes(sampleKeys()),
      'GET /api/api-keys/id-alpha/usage/daily': problem(500, 'Internal Server Error', 'Usage store offline.'),
      'GET /api/api-keys/id-alpha/usage/monthly': { body: [] },
    });
    renderApp({ hash: '#/keys/id-alpha' });
    expect(await screen.findByTestId('daily-chart-error')).toHaveTextContent('Usage store offline.');

    window.location.hash = '#/keys/nope';
    expect(await screen.findByTestId('key-not-found')).toBeInTheDocument();
  });
});

describe('proxy info', () => {
  it('shows the endpoints and copyable examples built from the base URL', async () => {
    mockApi({
      ...keyRoutes([]),
      'GET /api/settings': { body: { ollama_url: 'http://o:11434', default_model: 'qwen2.5:7b' } },
      'GET /api/proxy-info': {
        body: { base_url: 'http://gw:8000', openai_base_url: 'http://gw:8000/v1', examples: { curl: 'curl http://gw:8000/api/tags' } },
      },
    });
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderApp({ hash: '#/proxy' });

    expect(await screen.findByTestId('proxy-base-url')).toHaveTextContent('http://gw:8000');
    expect(screen.getByTestId('proxy-openai-base-url')).toHaveTextContent('http://gw:8000/v1');
    // The server's curl example is used as is.
    expect(screen.getByTestId('example-curl')).toHaveTextContent('curl http://gw:8000/api/tags');

    await user.click(screen.getByRole('tab', { name: 'Python (openai)' }));
    const py = screen.getByTestId('example-python_openai');
    expect(py).toHaveTextContent('base_url="http://gw:8000/v1"');
    expect(py).toHaveTextContent('model="qwen2.5:7b"');

    // Arrow keys move between tabs.
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('tab', { name: 'JavaScript (openai)' })).toHaveFocus();
    expect(screen.getByTestId('example-js_openai')).toHaveTextContent("baseURL: 'http://gw:8000/v1'");

    await user.click(screen.getByRole('tab', { name: 'Python (ollama)' }));
    await user.click(screen.getByTestId('copy-example-button'));
    expect(writeText).toHaveBeenCalledWith(expect.stringContaining('Client(host="http://gw:8000"'));
    expect(screen.getByRole('tab', { name: 'JavaScript (ollama)' })).toBeInTheDocument();
  });

  it('shows an error with retry', async () => {
    mockApi({ ...keyRoutes([]), 'GET /api/settings': { body: { ollama_url: '', default_model: '' } }, 'GET /api/proxy-info': problem(500, 'Boom') });
    renderApp({ hash: '#/proxy' });
    expect(await screen.findByTestId('proxy-error')).toHaveTextContent('Boom');
  });
});
