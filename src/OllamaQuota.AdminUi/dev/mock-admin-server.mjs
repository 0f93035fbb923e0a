// Development helper, not shipped: a tiny stand-in for the Admin service.
// Serves dist/ and answers /api/* with canned, in-memory data so the UI can be
// looked at (and screenshotted) without the .NET backend.
//   node dev/mock-admin-server.mjs [port]     (password: "admin")
//   MOCK_KEYS=100000 node dev/mock-admin-server.mjs   adds that many idle keys, to look at the key list at scale
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { listKeys } from './key-list.mjs';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8001);
const PASSWORD = process.env.ADMIN_PASSWORD ?? 'admin';
const dist = new URL('../dist/', import.meta.url).pathname;
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

const day = 86_400_000;
const now = Date.now();
const iso = (t) => new Date(t).toISOString();
// GPU time as the Admin reports it: ~40 ms of GPU per 1,000 tokens, on all but ~5 % of requests (those on /v1).
const gpu = (req, tokens) => ({ gpu_seconds: Math.round(tokens * 0.04) / 1000, timed_requests: Math.round(req * 0.95) });
const usage = (req, p, c) => ({ requests: req, prompt_tokens: p, completion_tokens: c, tokens: p + c, ...gpu(req, p + c) });
const key = (name, extra) => ({
  id: randomUUID(), name, key_prefix: 'sk-' + randomBytes(6).toString('base64url').slice(0, 8), status: 'active',
  created_at: iso(now - 40 * day), expires_at: null, deactivated_at: null,
  deleted_at: null, rotated_at: null, previous_key_prefix: null, previous_key_expires_at: null, allowed_models: [],
  daily_tokens: null, monthly_tokens: null, daily_requests: null, monthly_requests: null,
  requests_per_minute: null, tokens_per_minute: null, requests_per_hour: null, tokens_per_hour: null, max_concurrent_requests: null,
  usage: { today: usage(0, 0, 0), month: usage(0, 0, 0), hour: usage(0, 0, 0), minute: usage(0, 0, 0) }, in_flight: 0,
  owner_id: null, owner_name: null, ...extra,
});
const LIMIT_FIELDS = ['daily_tokens', 'monthly_tokens', 'daily_requests', 'monthly_requests', 'requests_per_minute', 'tokens_per_minute', 'requests_per_hour', 'tokens_per_hour', 'max_concurrent_requests'];
/** The Admin API's rule: each limit a whole number ≥ 0 or null; the errors name the fields. */
const limitErrors = (b) => Object.fromEntries(LIMIT_FIELDS
  .filter((f) => f in b && b[f] !== null && !(Number.isSafeInteger(b[f]) && b[f] >= 0))
  .map((f) => [f, ['must be zero or a positive whole number, or null for unlimited']]));
const keys = [
  key('Open WebUI', { daily_tokens: 200000, monthly_tokens: 3000000, daily_requests: 2000, monthly_requests: null, requests_per_minute: 60, tokens_per_hour: 120000, max_concurrent_requests: 4, in_flight: 3, usage: { today: usage(412, 61250, 42100), month: usage(8120, 1120000, 905000), hour: usage(48, 7100, 4900), minute: usage(9, 1200, 800) } }),
  key('alice-laptop', { created_at: iso(now - 12 * day), daily_tokens: 50000, monthly_tokens: 1000000, daily_requests: 500, monthly_requests: 10000, usage: { today: usage(431, 24800, 17200), month: usage(6210, 560000, 402000) } }),
  key('ci-pipeline', { created_at: iso(now - 3 * day), expires_at: iso(now + 27 * day), daily_tokens: 20000, daily_requests: 100, usage: { today: usage(97, 12100, 7400), month: usage(310, 60100, 31900) } }),
  key('bob-test', { created_at: iso(now - 90 * day), status: 'deactivated', deactivated_at: iso(now - 20 * day), daily_tokens: 10000 }),
  key('hackathon', { created_at: iso(now - 70 * day), status: 'expired', expires_at: iso(now - 5 * day), monthly_tokens: 500000, usage: { today: usage(0, 0, 0), month: usage(41, 9000, 5200) } }),
];
for (let i = 1; i <= Number(process.env.MOCK_KEYS ?? 0); i++) keys.push(key(`load-${String(i).padStart(6, '0')}`, { created_at: iso(now - 100 * day - i * 60_000) }));
// The audit log, newest last; each entry keeps only the fields that changed, as the Admin does.
const audit = [];
const auditFields = (k) => { const { id, usage, key: _secret, ...rest } = k; return rest; };
const ownerFields = (o) => { const { id, ...rest } = o; return rest; };
function record(action, target, before, after) {
  const changed = (a, b) => Object.keys({ ...a, ...b }).filter((f) => JSON.stringify(a?.[f]) !== JSON.stringify(b?.[f]));
  const fields = before ? changed(before, after) : Object.keys(after);
  if (fields.length === 0) return;
  const pick = (o) => Object.fromEntries(fields.map((f) => [f, o[f] ?? null]));
  audit.push({
    id: audit.length + 1, occurred_at: iso(Date.now()), actor: 'admin', caller_address: '127.0.0.1', action,
    target_type: !target ? 'settings' : action.startsWith('owner.') ? 'owner' : 'api_key', target_id: target?.id ?? null, target_name: target?.name ?? null,
    before: before ? pick(before) : null, after: pick(after),
  });
}
const owners = [
  { id: randomUUID(), name: 'Team Alice', contact: 'alice@example.com', created_at: iso(now - 30 * day),
    daily_tokens: 100000, monthly_tokens: 2000000, daily_requests: null, monthly_requests: null,
    requests_per_minute: null, tokens_per_minute: null, requests_per_hour: null, tokens_per_hour: null, max_concurrent_requests: 6 },
];
// alice-laptop and ci-pipeline belong to Team Alice.
for (const k of [keys[1], keys[2]]) Object.assign(k, { owner_id: owners[0].id, owner_name: owners[0].name });
const sum = (ws) => usage(ws.reduce((n, w) => n + w.requests, 0), ws.reduce((n, w) => n + w.prompt_tokens, 0), ws.reduce((n, w) => n + w.completion_tokens, 0));
/** An owner as the Admin shows it: its keys and the usage of the keys it holds now. */
const ownerView = (o, listed = Infinity) => {
  const held = keys.filter((k) => k.owner_id === o.id);
  const window = (w) => sum(held.map((k) => k.usage[w] ?? usage(0, 0, 0)));
  // The list of owners names only each owner's first five keys (as the Admin does); one owner names all.
  return { ...o, keys: held.slice(0, listed).map(({ id, name, key_prefix, status }) => ({ id, name, key_prefix, status })), key_count: held.length,
    usage: { today: window('today'), month: window('month'), hour: window('hour'), minute: window('minute') },
    in_flight: held.reduce((n, k) => n + k.in_flight, 0) };
};
let settings = {
  ollama_url: 'http://localhost:11434',
  default_model: 'llama3.1:8b',
  max_keep_alive: null,
  num_ctx: null,
  max_images_per_request: null,
  max_image_bytes: null,
  model_slots: { default: 4 },
  queue_timeout_seconds: null,
  usage_retention_days: 90,
};
const models = ['llama3.1:8b', 'qwen2.5:7b', 'mistral:7b'];

function daily() {
  const rows = [];
  for (let i = 0; i < 30; i++) {
    if (i % 7 === 5) continue;
    const d = iso(now - i * day).slice(0, 10);
    models.forEach((model, m) => {
      if ((i + m) % 3 === 2) return;
      const f = 1 + Math.sin(i / 3 + m) * 0.5;
      const [requests, prompt_tokens, completion_tokens] = [120, 18000, 12000].map((n) => Math.round((n * f) / (m + 1)));
      rows.push({ day: d, model, requests, prompt_tokens, completion_tokens, ...gpu(requests, prompt_tokens + completion_tokens) });
    });
  }
  return rows;
}
function monthly() {
  const rows = [];
  const base = new Date(now);
  for (let i = 0; i < 7; i++) {
    const m = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth() - i, 1)).toISOString().slice(0, 7);
    models.forEach((model, j) => {
      const f = 1 + Math.cos(i + j) * 0.4;
      const [requests, prompt_tokens, completion_tokens] = [3000, 420000, 300000].map((n) => Math.round((n * f) / (j + 1)));
      rows.push({ month: m, model, requests, prompt_tokens, completion_tokens, ...gpu(requests, prompt_tokens + completion_tokens) });
    });
  }
  return rows;
}

// The overview: every key's usage summed, by model and by key, and the month's days per model.
const refusals = (req) => ({ errors: Math.round(req * 0.01), refused_429: Math.round(req * 0.03), refused_503: 0 });
function overview(period) {
  const today = iso(now).slice(0, 10);
  const first = today.slice(0, 8) + '01';
  const window = (k) => k.usage[period === 'today' ? 'today' : 'month'];
  const withRefusals = (w) => ({ ...w, ...refusals(w.requests) });
  const sum = (ws) => ws.reduce((a, w) => ({ requests: a.requests + w.requests, prompt_tokens: a.prompt_tokens + w.prompt_tokens, completion_tokens: a.completion_tokens + w.completion_tokens }), { requests: 0, prompt_tokens: 0, completion_tokens: 0 });
  const total = sum(keys.map(window));
  const totals = withRefusals(usage(total.requests, total.prompt_tokens, total.completion_tokens));
  const share = [0.6, 0.3, 0.1];
  const by_model = models.map((model, i) => ({ model, usage: withRefusals(usage(Math.round(total.requests * share[i]), Math.round(total.prompt_tokens * share[i]), Math.round(total.completion_tokens * share[i]))) }));
  const top_keys = keys.filter((k) => window(k).requests > 0).sort((a, b) => window(b).tokens - window(a).tokens)
    .map((k) => ({ key_id: k.id, name: k.name, key_prefix: k.key_prefix, usage: withRefusals(window(k)) }));
  // By owner: the keys each owner holds now, and the keys without one as one row (owner_id null).
  const by_owner = [...owners.map((o) => ({ owner_id: o.id, name: o.name })), { owner_id: null, name: null }]
    .map((o) => {
      const s = sum(keys.filter((k) => (k.owner_id ?? null) === o.owner_id).map(window));
      return { ...o, usage: usage(s.requests, s.prompt_tokens, s.completion_tokens) };
    })
    .filter((o) => o.usage.requests > 0).sort((a, b) => b.usage.tokens - a.usage.tokens)
    .map((o) => ({ ...o, usage: withRefusals(o.usage) }));
  const dailyRows = daily().filter((r) => r.day >= first).map((r) => ({ ...r, ...refusals(r.requests) }));
  return { period, from: period === 'today' ? today : first, to: today, totals, by_model, by_owner, top_keys, daily: dailyRows };
}

// The request log: 500 made-up events, newest first; the cursor is an index.
const endpoints = ['/api/chat', '/api/generate', '/v1/chat/completions', '/api/embed'];
const events = Array.from({ length: 500 }, (_, i) => {
  const k = keys[i % 3];
  const refused = i % 17 === 4;
  const status = refused ? 429 : i % 41 === 7 ? 502 : 200;
  const [prompt, completion] = refused || status >= 400 ? [0, 0] : [20 + (i % 50), 40 + (i % 300)];
  return {
    id: randomUUID(), created_at: iso(now - i * 97_000), key_id: k.id, key_name: k.name, key_prefix: k.key_prefix,
    model: models[i % models.length], endpoint: endpoints[i % endpoints.length], status, refused,
    prompt_tokens: prompt, completion_tokens: completion, duration_ms: refused ? 1 : 200 + (i % 900),
    gpu_seconds: refused || endpoints[i % endpoints.length].startsWith('/v1') ? null : Math.round(completion * 4) / 1000,
  };
});
function requestLog(q) {
  return events.filter((e) =>
    (!q.get('key_id') || e.key_id === q.get('key_id')) && (!q.get('model') || e.model === q.get('model')) &&
    (!q.get('endpoint') || e.endpoint === q.get('endpoint')) && (!q.get('status') || e.status === Number(q.get('status'))) &&
    (!q.get('from') || e.created_at >= q.get('from')) && (!q.get('to') || e.created_at < q.get('to')));
}
const csvCell = (v) => {
  let s = v == null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

const send = (res, status, body, type = 'application/json', headers = {}) => {
  res.writeHead(status, { 'Content-Type': type, ...headers });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
};
const problem = (res, status, title, detail, errors) =>
  send(res, status, { type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) }, 'application/problem+json');
const readBody = (req) => new Promise((ok) => { let s = ''; req.on('data', (c) => (s += c)); req.on('end', () => ok(s ? JSON.parse(s) : {})); });

async function api(req, res, url) {
  if (req.headers.authorization !== `Bearer ${PASSWORD}`) return problem(res, 401, 'Unauthorized', 'Missing or wrong admin password.');
  const p = url.pathname;
  let m;
  if (p === '/api/settings' && req.method === 'GET') return send(res, 200, settings);
  if (p === '/api/settings' && req.method === 'PUT') {
    const before = settings;
    settings = { ...settings, ...(await readBody(req)) };
    record('settings.update', null, before, settings);
    return send(res, 200, settings);
  }
  if (p === '/api/audit') {
    const q = url.searchParams;
    const size = Number(q.get('page_size') ?? 50);
    const from = q.get('from') ? Date.parse(q.get('from')) : -Infinity;
    const to = q.get('to') ? Date.parse(q.get('to')) : Infinity;
    const matching = audit.slice().reverse().filter((e) =>
      (!q.get('action') || e.action === q.get('action')) && (!q.get('target_id') || e.target_id === q.get('target_id')) &&
      Date.parse(e.occurred_at) >= from && Date.parse(e.occurred_at) < to);
    const start = q.get('cursor') ? matching.findIndex((e) => e.id === Number(q.get('cursor'))) + 1 : 0;
    const items = matching.slice(start, start + size);
    return send(res, 200, { items, next_cursor: start + size < matching.length ? String(items.at(-1).id) : null });
  }
  if (p === '/api/settings/test-connection') {
    const { ollama_url } = await readBody(req);
    return ollama_url.includes('11434') ? send(res, 200, { version: '0.12.3' }) : problem(res, 502, 'Bad Gateway', `Could not connect to ${ollama_url}.`);
  }
  if (p === '/api/ollama-models') return send(res, 200, { models: models.map((name) => ({ name, size: 4.7e9, modified_at: iso(now - 9 * day) })) });
  if (p === '/api/proxy-info') {
    const base = `http://${(req.headers.host ?? 'localhost').split(':')[0]}:8000`;
    return send(res, 200, { base_url: base, openai_base_url: `${base}/v1`, examples: {} });
  }
  if (p === '/api/overview') return send(res, 200, overview(url.searchParams.get('period') ?? 'today'));
  if (p === '/api/requests') {
    const all = requestLog(url.searchParams);
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 50);
    return send(res, 200, { items: all.slice(start, start + limit), next_cursor: start + limit < all.length ? String(start + limit) : null });
  }
  if (p === '/api/requests.csv') {
    const cols = ['created_at', 'key_id', 'key_name', 'key_prefix', 'model', 'endpoint', 'status', 'refused', 'prompt_tokens', 'completion_tokens', 'duration_ms', 'gpu_seconds'];
    const lines = requestLog(url.searchParams).map((e) => cols.map((c) => csvCell(e[c])).join(','));
    return send(res, 200, [cols.join(','), ...lines, ''].join('\r\n'), 'text/csv; charset=utf-8');
  }
  if (p === '/api/api-keys' && req.method === 'GET') {
    const { items, total } = listKeys(keys, url.searchParams);
    return send(res, 200, items, 'application/json', { 'X-Total-Count': String(total) });
  }
  if (p === '/api/api-keys' && req.method === 'POST') {
    const b = await readBody(req);
    if (!b.name?.trim()) return problem(res, 400, 'Validation failed', 'One or more fields are invalid.', { name: ['The name is required.'] });
    if (keys.some((k) => k.name === b.name)) return problem(res, 409, 'Conflict', `A key named "${b.name}" already exists.`);
    const invalid = limitErrors(b);
    if (Object.keys(invalid).length) return problem(res, 400, 'The key was not created.', undefined, invalid);
    const plaintext = 'sk-' + randomBytes(24).toString('base64url');
    const owner = b.owner_id ? owners.find((o) => o.id === b.owner_id) : null;
    if (b.owner_id && !owner) return problem(res, 400, 'The key was not created.', undefined, { owner_id: [`there is no owner with id ${b.owner_id}`] });
    const k = key(b.name, { key_prefix: plaintext.slice(0, 11), created_at: iso(Date.now()), expires_at: b.expires_at ?? null, owner_id: owner?.id ?? null, owner_name: owner?.name ?? null, ...Object.fromEntries(LIMIT_FIELDS.map((f) => [f, b[f] ?? null])) });
    keys.push(k);
    record('api_key.create', k, null, auditFields(k));
    return send(res, 201, { ...k, key: plaintext });
  }
  if (p === '/api/owners' && req.method === 'GET') return send(res, 200, owners.map((o) => ownerView(o, 5)));
  if (p === '/api/owners' && req.method === 'POST') {
    const b = await readBody(req);
    if (!b.name?.trim()) return problem(res, 400, 'The owner was not created.', undefined, { name: ['is required'] });
    const invalid = limitErrors(b);
    if (Object.keys(invalid).length) return problem(res, 400, 'The owner was not created.', undefined, invalid);
    const o = { id: randomUUID(), name: b.name.trim(), contact: b.contact ?? null, created_at: iso(Date.now()), ...Object.fromEntries(LIMIT_FIELDS.map((f) => [f, b[f] ?? null])) };
    owners.push(o);
    record('owner.create', o, null, ownerFields(o));
    return send(res, 201, ownerView(o));
  }
  if ((m = p.match(/^\/api\/owners\/([^/]+)$/))) {
    const o = owners.find((x) => x.id === m[1]);
    if (!o) return problem(res, 404, 'Not found', `There is no owner with id ${m[1]}.`);
    if (req.method === 'PATCH') {
      const b = await readBody(req);
      const invalid = limitErrors(b);
      if (Object.keys(invalid).length) return problem(res, 400, 'The owner was not changed.', undefined, invalid);
      const before = ownerFields(o);
      Object.assign(o, b);
      record('owner.update', o, before, ownerFields(o));
      for (const k of keys.filter((k) => k.owner_id === o.id)) k.owner_name = o.name;
    }
    if (req.method === 'DELETE') {
      // Deleted keys do not hold an owner back; they are left on their own with it.
      const held = keys.filter((k) => k.owner_id === o.id);
      const live = held.filter((k) => k.status !== 'deleted');
      if (live.length && url.searchParams.get('detach_keys') !== 'true') {
        return problem(res, 409, 'The owner holds keys', `The owner '${o.name}' holds ${live.length} key(s). Move them to another owner first, or delete with ?detach_keys=true.`);
      }
      for (const k of held) {
        const before = auditFields(k);
        Object.assign(k, { owner_id: null, owner_name: null });
        record('api_key.move', k, before, auditFields(k));
      }
      record('owner.delete', o, ownerFields(o), {});
      owners.splice(owners.indexOf(o), 1);
      res.writeHead(204);
      return res.end();
    }
    return send(res, 200, ownerView(o));
  }
  if ((m = p.match(/^\/api\/api-keys\/([^/]+)\/owner$/)) && req.method === 'PUT') {
    const k = keys.find((x) => x.id === m[1]);
    if (!k) return problem(res, 404, 'Not Found', 'No such key.');
    const { owner_id } = await readBody(req);
    const o = owner_id ? owners.find((x) => x.id === owner_id) : null;
    if (owner_id && !o) return problem(res, 400, "The key's owner was not changed.", undefined, { owner_id: [`there is no owner with id ${owner_id}`] });
    const before = auditFields(k);
    Object.assign(k, { owner_id: o?.id ?? null, owner_name: o?.name ?? null });
    record('api_key.move', k, before, auditFields(k));
    return send(res, 200, k);
  }
  if ((m = p.match(/^\/api\/api-keys\/([^/]+)(?:\/(deactivate|reactivate|rotate|quota|usage\/daily|usage\/monthly))?$/))) {
    const k = keys.find((x) => x.id === m[1]);
    if (!k) return problem(res, 404, 'Not Found', 'No such key.');
    const change = m[2] ?? (req.method === 'DELETE' ? 'delete' : null);
    if (k.status === 'deleted' && ['deactivate', 'reactivate', 'rotate', 'quota'].includes(change)) {
      return problem(res, 409, 'Key deleted', `The API key ${k.id} is deleted and can no longer be changed.`);
    }
    const before = auditFields(k);
    const at = iso(Date.now());
    let plaintext;
    if (change === 'deactivate' && k.status !== 'deactivated') Object.assign(k, { status: 'deactivated', deactivated_at: at });
    if (change === 'reactivate' && k.status === 'deactivated') Object.assign(k, { status: k.expires_at && Date.parse(k.expires_at) <= Date.now() ? 'expired' : 'active', deactivated_at: null });
    if (change === 'delete' && k.status !== 'deleted') Object.assign(k, { status: 'deleted', deleted_at: at });
    if (change === 'quota') {
      const b = await readBody(req);
      const invalid = limitErrors(b);
      if (Object.keys(invalid).length) return problem(res, 400, 'The quota was not changed.', undefined, invalid);
      Object.assign(k, b);
    }
    if (change === 'rotate') {
      const { grace_hours: hours = 24 } = await readBody(req);
      if (!Number.isInteger(hours) || hours < 0 || hours > 720) {
        return problem(res, 400, 'The key was not rotated.', undefined, { grace_hours: ['must be a whole number of hours from 0 (revoke the old key now) to 720'] });
      }
      plaintext = 'sk-' + randomBytes(24).toString('base64url');
      Object.assign(k, { previous_key_prefix: k.key_prefix, previous_key_expires_at: iso(Date.now() + hours * 3_600_000), key_prefix: plaintext.slice(0, 11), rotated_at: at });
    }
    const action = { deactivate: 'api_key.deactivate', reactivate: 'api_key.reactivate', rotate: 'api_key.rotate', quota: 'api_key.update', delete: 'api_key.delete' }[change];
    if (action) record(action, k, before, auditFields(k));
    if (m[2] === 'usage/daily') return send(res, 200, k.usage.month.tokens ? daily() : []);
    if (m[2] === 'usage/monthly') return send(res, 200, k.usage.month.tokens ? monthly() : []);
    return send(res, 200, plaintext ? { ...k, key: plaintext } : k);
  }
  return problem(res, 404, 'Not Found', `No route ${req.method} ${p}.`);
}

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname.startsWith('/api/')) return api(req, res, url).catch((e) => problem(res, 500, 'Server error', String(e)));
  const file = normalize(join(dist, url.pathname === '/' ? 'index.html' : url.pathname));
  const body = await readFile(file.startsWith(dist) ? file : join(dist, 'index.html')).catch(() => readFile(join(dist, 'index.html')));
  send(res, 200, body, types[extname(file)] ?? 'text/html; charset=utf-8');
}).listen(port, '127.0.0.1', () => console.log(`mock admin on http://127.0.0.1:${port} (password: ${PASSWORD})`));
