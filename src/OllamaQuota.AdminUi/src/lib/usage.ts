import type { DailyUsageRow, MonthlyUsageRow } from '../api/types';

export type Level = 'ok' | 'warn' | 'danger' | 'unlimited';

/** Green below 75 %, amber below 90 %, red from 90 % (and whenever a limit of 0 is set). */
export function usageLevel(used: number, limit: number | null): Level {
  if (limit === null) return 'unlimited';
  if (limit <= 0) return 'danger';
  const ratio = used / limit;
  if (ratio < 0.75) return 'ok';
  if (ratio < 0.9) return 'warn';
  return 'danger';
}

export function usagePercent(used: number, limit: number | null): number | null {
  if (limit === null) return null;
  if (limit <= 0) return 100;
  return Math.min(100, Math.max(0, (used / limit) * 100));
}

// Calendar strings are handled in UTC so that DST never shifts a day.
function parseDay(day: string): Date {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}
function dayString(d: Date): string {
  return d.toISOString().slice(0, 10);
}
export function localToday(now: Date = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, '0');
  const d = String(now.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/** `count` consecutive days ending with `end` (inclusive), oldest first. */
export function lastDays(count: number, end: string): string[] {
  const endDate = parseDay(end);
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    out.push(dayString(new Date(endDate.getTime() - i * 86_400_000)));
  }
  return out;
}

/** `count` consecutive months ("YYYY-MM") ending with `end`, oldest first. */
export function lastMonths(count: number, end: string): string[] {
  const [y, m] = end.split('-').map(Number);
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

export type Metric = 'tokens' | 'prompt_tokens' | 'completion_tokens' | 'requests' | 'gpu_seconds';
export const METRICS: readonly Metric[] = ['tokens', 'prompt_tokens', 'completion_tokens', 'requests', 'gpu_seconds'];

/**
 * Requests and tokens, and GPU time where the server reports it: the seconds Ollama's runner computed (prompt
 * evaluation + generation; an embedding's total minus load time) over the `timed_requests` it reported durations for.
 */
export interface UsageCounts {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  gpu_seconds?: number;
  timed_requests?: number;
}

export function metricValue(row: UsageCounts, metric: Metric): number {
  if (metric === 'tokens') return row.prompt_tokens + row.completion_tokens;
  if (metric === 'gpu_seconds') return row.gpu_seconds ?? 0;
  return row[metric];
}

/**
 * GPU time in the unit that keeps it short: "0.26 s", "42.5 s", "12.3 min", "4.1 h" (the units read the same in
 * English and German).
 */
export function formatGpuSeconds(seconds: number, locale: string): string {
  const [value, unit, digits] =
    seconds < 10 ? [seconds, 's', 2] : seconds < 60 ? [seconds, 's', 1] : seconds < 3600 ? [seconds / 60, 'min', 1] : [seconds / 3600, 'h', 1];
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value)} ${unit}`;
}

export interface Series {
  /** One point per period, with one numeric property per model. */
  points: Array<{ period: string } & Record<string, number | string>>;
  /** Models ordered by total usage, largest first. */
  models: string[];
  /** GPU fields only where the server sent them: unknown is not zero. */
  totals: Array<{ model: string } & UsageCounts>;
}

/**
 * Builds a gap-free series: every period gets a point, every model a value (0
 * where the server returned no row).
 */
export function buildSeries(
  rows: ReadonlyArray<UsageCounts & { model: string }>,
  periodOf: (row: never) => string,
  periods: string[],
  metric: Metric,
): Series {
  const byModel = new Map<string, UsageCounts>();
  for (const r of rows) {
    const t: UsageCounts = byModel.get(r.model) ?? { requests: 0, prompt_tokens: 0, completion_tokens: 0 };
    t.requests += r.requests;
    t.prompt_tokens += r.prompt_tokens;
    t.completion_tokens += r.completion_tokens;
    if (r.gpu_seconds !== undefined) {
      t.gpu_seconds = (t.gpu_seconds ?? 0) + r.gpu_seconds;
      t.timed_requests = (t.timed_requests ?? 0) + (r.timed_requests ?? 0);
    }
    byModel.set(r.model, t);
  }
  const totals = [...byModel.entries()]
    .map(([model, t]) => ({ model, ...t }))
    .sort((a, b) => b.prompt_tokens + b.completion_tokens - (a.prompt_tokens + a.completion_tokens) || b.requests - a.requests || a.model.localeCompare(b.model));
  const models = totals.map((t) => t.model);

  const index = new Map<string, { period: string } & Record<string, number | string>>();
  const points = periods.map((period) => {
    const p: { period: string } & Record<string, number | string> = { period };
    for (const m of models) p[m] = 0;
    index.set(period, p);
    return p;
  });
  for (const r of rows) {
    const p = index.get((periodOf as (row: unknown) => string)(r));
    if (p) p[r.model] = (p[r.model] as number) + metricValue(r, metric);
  }
  return { points, models, totals };
}

/** End of the daily window: the later of the browser's today and the newest server day. */
export function dailyPeriods(rows: DailyUsageRow[], days: number, now = new Date()): string[] {
  let end = localToday(now);
  for (const r of rows) if (r.day > end) end = r.day;
  return lastDays(days, end);
}

export function monthlyPeriods(rows: MonthlyUsageRow[], months: number, now = new Date()): string[] {
  let end = localToday(now).slice(0, 7);
  for (const r of rows) if (r.month > end) end = r.month;
  return lastMonths(months, end);
}

/**
 * A calendar day ("YYYY-MM-DD") for a chart: always with its year (short on an axis, "15 Mar 2026"; full in a
 * tooltip). Formatted in UTC so that the browser's time zone never shifts the day.
 */
export function formatChartDay(day: string, locale: string, long?: boolean): string {
  return new Intl.DateTimeFormat(
    locale,
    long ? { dateStyle: 'full', timeZone: 'UTC' } : { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' },
  ).format(new Date(`${day}T00:00:00Z`));
}
