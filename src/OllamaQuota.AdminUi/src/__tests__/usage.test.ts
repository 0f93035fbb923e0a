import { describe, expect, it } from 'vitest';
import { ApiError, request } from '../api/client';
import { parseLimit } from '../components/LimitFields';
import { hrefFor, parseHash } from '../lib/router';
import { buildSeries, dailyPeriods, lastDays, lastMonths, monthlyPeriods, usageLevel } from '../lib/usage';
import { mockApi } from '../test/helpers';

describe('usage helpers', () => {
  it('colours by how close usage is to the limit', () => {
    expect(usageLevel(10, null)).toBe('unlimited');
    expect(usageLevel(74, 100)).toBe('ok');
    expect(usageLevel(75, 100)).toBe('warn');
    expect(usageLevel(89, 100)).toBe('warn');
    expect(usageLevel(90, 100)).toBe('danger');
    expect(usageLevel(150, 100)).toBe('danger');
    expect(usageLevel(0, 0)).toBe('danger');
  });

  it('makes gap-free day and month ranges across month, year and DST boundaries', () => {
    expect(lastDays(3, '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(lastDays(30, '2026-11-22')).toHaveLength(30);
    expect(lastDays(2, '2026-03-29')).toEqual(['2026-03-28', '2026-03-29']);
    expect(lastMonths(3, '2026-02')).toEqual(['2025-12', '2026-01', '2026-02']);
  });

  it('ends the window at the later of today and the newest server period', () => {
    const now = new Date(2026, 10, 22, 12);
    expect(dailyPeriods([], 30, now).at(-1)).toBe('2026-11-22');
    const ahead = [{ day: '2026-11-23', model: 'm', requests: 1, prompt_tokens: 0, completion_tokens: 0, gpu_seconds: 0, timed_requests: 0 }];
    expect(dailyPeriods(ahead, 30, now).at(-1)).toBe('2026-11-23');
    expect(monthlyPeriods([], 12, now)).toHaveLength(12);
    expect(monthlyPeriods([], 12, now).at(-1)).toBe('2026-11');
  });

  it('fills gaps with zeros per model and totals by model', () => {
    const rows = [
      { day: '2026-11-20', model: 'a', requests: 1, prompt_tokens: 10, completion_tokens: 5 },
      { day: '2026-11-22', model: 'b', requests: 2, prompt_tokens: 100, completion_tokens: 50 },
      { day: '2026-11-22', model: 'a', requests: 3, prompt_tokens: 1, completion_tokens: 1 },
    ];
    const periods = lastDays(3, '2026-11-22');
    const s = buildSeries(rows, ((r: { day: string }) => r.day) as (r: never) => string, periods, 'tokens');
    expect(s.models).toEqual(['b', 'a']);
    expect(s.points).toEqual([
      { period: '2026-11-20', a: 15, b: 0 },
      { period: '2026-11-21', a: 0, b: 0 },
      { period: '2026-11-22', a: 2, b: 150 },
    ]);
    const r = buildSeries(rows, ((x: { day: string }) => x.day) as (r: never) => string, periods, 'requests');
    expect(r.points[2]).toEqual({ period: '2026-11-22', a: 3, b: 2 });
    expect(r.totals.find((t) => t.model === 'a')).toEqual({ model: 'a', requests: 4, prompt_tokens: 11, completion_tokens: 6 });
  });

  it('parses limits: empty is unlimited, only whole numbers', () => {
    expect(parseLimit('')).toBeNull();
    expect(parseLimit('  ')).toBeNull();
    expect(parseLimit('1 000')).toBe(1000);
    expect(parseLimit('0')).toBe(0);
    expect(parseLimit('-1')).toBeUndefined();
    expect(parseLimit('1.5')).toBeUndefined();
    expect(parseLimit('1e3')).toBeUndefined();
  });

  it('parses hash routes', () => {
    expect(parseHash('')).toEqual({ page: 'overview' });
    expect(parseHash('#/keys')).toEqual({ page: 'keys' });
    expect(parseHash('#/requests?key_id=k-1')).toEqual({ page: 'requests', keyId: 'k-1' });
    expect(parseHash('#/keys/abc-123')).toEqual({ page: 'key', id: 'abc-123' });
    expect(parseHash('#/settings')).toEqual({ page: 'settings' });
    expect(parseHash('#/proxy/')).toEqual({ page: 'proxy' });
    expect(parseHash('#/whatever')).toEqual({ page: 'overview' });
  });

  it('keeps the key list’s view in its route, leaving out what is unknown or the default', () => {
    const route = parseHash('#/keys?search=team%20a&status=gone&sort=name&dir=desc&page=3&x=1');
    expect(route).toEqual({ page: 'keys', query: { search: 'team a', sort: 'name', dir: 'desc', page: 3 } });
    expect(hrefFor(route)).toBe('#/keys?search=team+a&sort=name&dir=desc&page=3');
    expect(parseHash('#/keys?page=1&status=deleted')).toEqual({ page: 'keys', query: { status: 'deleted' } });
    expect(hrefFor({ page: 'keys', query: { page: 1 } })).toBe('#/keys');
  });
});

describe('api client', () => {
  it('turns problem details and network failures into ApiError', async () => {
    mockApi({ 'GET /api/x': { status: 409, body: { title: 'Conflict', detail: 'Name taken.', errors: { name: ['Taken'] } } } });
    const err = (await request('pw', 'GET', '/api/x').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.message).toBe('Name taken.');
    expect(err.errors).toEqual({ name: ['Taken'] });

    globalThis.fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    const net = (await request('pw', 'GET', '/api/x').catch((e: unknown) => e)) as ApiError;
    expect(net.isNetworkError).toBe(true);
  });
});
