import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSeries, formatGpuSeconds, lastDays } from '../lib/usage';
import { keyRoutes, mockApi, renderApp, sampleKeys } from '../test/helpers';

const rowOf = (name: string) => {
  const row = screen.getAllByTestId('key-row').find((r) => r.getAttribute('data-key-name') === name);
  if (!row) throw new Error(`no row ${name}`);
  return row;
};

describe('GPU time', () => {
  beforeAll(async () => {
    await import('../keys/KeyDetailPage');
  }, 30_000);

  it('formats seconds in the unit that keeps them short, in the locale', () => {
    expect(formatGpuSeconds(0.263827156, 'en-US')).toBe('0.26 s');
    expect(formatGpuSeconds(42.54, 'en-US')).toBe('42.5 s');
    expect(formatGpuSeconds(754.2, 'en-US')).toBe('12.6 min');
    expect(formatGpuSeconds(4 * 3600 + 360, 'en-US')).toBe('4.1 h');
    expect(formatGpuSeconds(12.5, 'de-DE')).toBe('12,5 s');
  });

  it('sums GPU time by model only where the server reported it', () => {
    const rows = [
      { day: '2026-11-21', model: 'a', requests: 2, prompt_tokens: 1, completion_tokens: 1, gpu_seconds: 1.5, timed_requests: 2 },
      { day: '2026-11-22', model: 'a', requests: 1, prompt_tokens: 1, completion_tokens: 1, gpu_seconds: 0.25, timed_requests: 1 },
      { day: '2026-11-22', model: 'b', requests: 1, prompt_tokens: 5, completion_tokens: 5 },
    ];
    const s = buildSeries(rows, ((r: { day: string }) => r.day) as (r: never) => string, lastDays(2, '2026-11-22'), 'gpu_seconds');
    expect(s.points).toEqual([
      { period: '2026-11-21', a: 1.5, b: 0 },
      { period: '2026-11-22', a: 0.25, b: 0 },
    ]);
    expect(s.totals.find((t) => t.model === 'a')).toMatchObject({ gpu_seconds: 1.75, timed_requests: 3 });
    expect(s.totals.find((t) => t.model === 'b')).not.toHaveProperty('gpu_seconds');
  });

  it('shows GPU time per key today and this month beside the tokens', async () => {
    mockApi({ ...keyRoutes(sampleKeys()) });
    renderApp();
    await screen.findByTestId('keys-table');

    const alpha = within(rowOf('alpha'));
    expect(alpha.getByTestId('gpu-today')).toHaveAttribute('data-seconds', '12.5');
    expect(within(alpha.getByTestId('gpu-today')).getByTestId('gpu-value')).toHaveTextContent('12.5 s');
    expect(within(alpha.getByTestId('gpu-month')).getByTestId('gpu-value')).toHaveTextContent('12.6 min');
    // 90 of 95 requests timed this month: the hint says the rest went unmeasured.
    expect(alpha.getByTestId('gpu-month')).toHaveAttribute('title', expect.stringContaining('90 of 95 requests'));

    // Ollama timed nothing (say, only /v1 calls): unknown, not zero.
    const bravo = within(rowOf('bravo'));
    expect(bravo.getByTestId('gpu-today')).toHaveAttribute('data-seconds', 'unknown');
    expect(within(bravo.getByTestId('gpu-today')).getByTestId('gpu-value')).toHaveTextContent('—');
  });

  it('shows GPU time in German', async () => {
    mockApi({ ...keyRoutes(sampleKeys()) });
    renderApp({ lang: 'de' });
    await screen.findByTestId('keys-table');

    expect(within(rowOf('alpha')).getByTestId('gpu-today')).toHaveTextContent('GPU-Zeit12,5 s');
  });

  it('shows GPU time per model on the key page and charts it', async () => {
    mockApi({
      ...keyRoutes(sampleKeys()),
      'GET /api/api-keys/id-alpha/usage/daily': {
        body: [
          { day: '2026-11-20', model: 'llama3', requests: 10, prompt_tokens: 1000, completion_tokens: 500, gpu_seconds: 30, timed_requests: 10 },
          { day: '2026-11-21', model: 'llama3', requests: 5, prompt_tokens: 100, completion_tokens: 50, gpu_seconds: 12.5, timed_requests: 4 },
          { day: '2026-11-21', model: 'qwen', requests: 2, prompt_tokens: 20, completion_tokens: 10, gpu_seconds: 0, timed_requests: 0 },
        ],
      },
      'GET /api/api-keys/id-alpha/usage/monthly': { body: [] },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/keys/id-alpha' });

    const page = await screen.findByTestId('key-detail');
    expect(within(within(page).getByTestId('gpu-today')).getByTestId('gpu-value')).toHaveTextContent('12.5 s');
    const daily = screen.getByTestId('daily-chart');
    await within(daily).findByTestId('daily-chart-canvas');
    const llama = within(daily).getByTestId('daily-chart-gpu-llama3');
    expect(llama).toHaveTextContent('42.5 s');
    expect(llama).toHaveAttribute('title', expect.stringContaining('14 of 15 requests'));
    expect(within(daily).getByTestId('daily-chart-gpu-qwen')).toHaveTextContent('—');

    const gpu = within(daily).getByTestId('daily-chart-metric-gpu_seconds');
    expect(gpu).toHaveTextContent('GPU time');
    await user.click(gpu);
    expect(gpu).toHaveAttribute('aria-checked', 'true');
  });
});
