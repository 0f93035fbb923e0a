#!/usr/bin/env node
// The end-to-end test (issue 6): the real Admin and Proxy (built from this repo), a fake Ollama speaking Ollama's
// wire format, and the built Admin UI driven in headless Debian Chromium through playwright-core.
//
//   node e2e/run.mjs [--output <dir>] [--skip-build]        (or: npm run test:e2e -- --output <dir>)
//
// Every check is named and counted; a check whose prerequisite failed is counted as failed, not run. Each check
// leaves a screenshot in the output directory (default ../../test-output/e2e), plus admin.log, proxy.log and the
// fake Ollama's request log. The last line is "e2e: N passed, M failed"; the exit code is non-zero on any failure.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { FAKE_COUNTS, FAKE_DURATIONS, FAKE_MODELS, FAKE_REPLY, FAKE_VERSION, startFakeOllama } from './fake-ollama.mjs';
import { freePort, run, sleep, startService, stopService, tail, uiDistIsStale, waitAlive } from './services.mjs';

const started = Date.now();
const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(uiDir, '../..');
const args = parseArgs(process.argv.slice(2));
const outDir = path.resolve(args.output ?? path.join(repo, 'test-output', 'e2e'));
const skipBuild = args['skip-build'] === true || process.env.E2E_SKIP_BUILD === '1';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const WATCHDOG_MS = 240_000; // a hung run still ends, with its failures counted
const STEP_TIMEOUT_MS = 30_000;

const EXPECTED_TOKENS =
  FAKE_COUNTS.chat.prompt + FAKE_COUNTS.chat.completion +
  FAKE_COUNTS.chatStream.prompt + FAKE_COUNTS.chatStream.completion +
  FAKE_COUNTS.openai.prompt + FAKE_COUNTS.openai.completion;
// GPU time: prompt evaluation + generation of the two native calls; the OpenAI call reports no durations.
const EXPECTED_GPU_NS = [FAKE_DURATIONS.chat, FAKE_DURATIONS.chatStream].reduce((sum, d) => sum + d.promptEval + d.eval, 0);
const DAILY_TOKENS = 100000;
const DAILY_REQUESTS = 50;
const NEW_DAILY_TOKENS = 250000;
// Generous enough that the usage steps never meet them; they are here to be stored and shown.
const REQUESTS_PER_MINUTE = 1000;
const MAX_CONCURRENT_REQUESTS = 8;

// ---------------------------------------------------------------------------------------------------------------
// The checks, in order. `needs` names the checks whose outcome this one depends on.
const CHECKS = [
  { id: 'setup', title: 'build, start fake Ollama, init-db, start Admin and Proxy, launch Chromium', needs: [] },
  { id: 'login', title: 'a. wrong password shows an error; the right one logs in', needs: ['setup'] },
  { id: 'create-key', title: 'b. create a key with limits; the plaintext is shown once', needs: ['login'] },
  { id: 'no-plaintext-leak', title: 'the plaintext key is gone from DOM, URL and storage after the dialog closes', needs: ['create-key'] },
  { id: 'proxy-calls', title: 'c. proxy: /api/chat (plain and streamed) and /v1/chat/completions with the key', needs: ['create-key'] },
  { id: 'usage-in-table', title: 'd. keys table shows 3 requests today, the fake\'s token total and its GPU time', needs: ['proxy-calls'] },
  { id: 'detail-chart', title: 'e. key detail page renders the usage chart', needs: ['usage-in-table'] },
  { id: 'overview', title: 'e2. overview shows the 3 requests, their tokens, the model and the key; chart dates carry the year', needs: ['usage-in-table'] },
  { id: 'request-log', title: 'e3. request log lists the 3 requests, filters by endpoint and key, downloads them as CSV', needs: ['usage-in-table'] },
  { id: 'owners', title: 'e4. create an owner, give it the key; the owner shows the key\'s usage, and GET /quota names it', needs: ['usage-in-table'] },
  { id: 'edit-quota', title: 'f. edit daily_tokens; the table shows the new limit without a reload', needs: ['create-key'] },
  { id: 'deactivate', title: 'g. deactivate with confirmation; the status shows deactivated', needs: ['create-key'] },
  { id: 'proxy-refuses', title: 'h. the proxy answers 401 for the deactivated key within 2 s', needs: ['deactivate'] },
  { id: 'reactivate', title: 'j. reactivate with confirmation; the proxy accepts the key again within 2 s', needs: ['proxy-refuses'] },
  { id: 'rotate', title: 'k. rotate (24 h grace): the new key is shown once; old and new key both work through the proxy', needs: ['reactivate'] },
  { id: 'rotate-revoke', title: 'l. rotate again with 0 h grace: the replaced key gets a 401 saying it was rotated within 2 s', needs: ['rotate'] },
  { id: 'delete', title: 'm. delete from the key page; the proxy refuses it within 2 s; the list hides it, the deleted filter shows it', needs: ['rotate-revoke'] },
  { id: 'audit', title: 'n. audit page: every change to the key, newest first, before → after, no secret anywhere', needs: ['delete'] },
  { id: 'settings', title: 'i. settings: test connection shows the fake\'s version; the model list is the fake\'s', needs: ['login'] },
  { id: 'key-pages', title: 'o. 55 more keys: searched and paged by 50 on the server with the total; reload keeps the page, back the one before', needs: ['login'] },
  { id: 'browser-clean', title: 'no uncaught page errors; the plaintext key never reached the console', needs: ['login'] },
];

const outcome = new Map(); // id -> { ok, ms, error }
const ctx = {}; // shared state between checks: password, urls, page, plaintext, keyId, …
let shotNo = 0;
let cleanedUp = false;

async function main() {
  prepareOutputDir();
  const watchdog = setTimeout(() => {
    console.error(`\n!! the run took longer than ${WATCHDOG_MS / 1000} s: stopping`);
    finish(true);
  }, WATCHDOG_MS);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      console.error(`\n!! ${sig}: stopping`);
      finish(true);
    });
  }

  try {
    await check('setup', setup);
    await check('login', stepLogin);
    await check('create-key', stepCreateKey);
    await check('no-plaintext-leak', stepNoPlaintextLeak);
    await check('proxy-calls', stepProxyCalls);
    await check('usage-in-table', stepUsageInTable);
    await check('detail-chart', stepDetailChart);
    await check('overview', stepOverview);
    await check('request-log', stepRequestLog);
    await check('owners', stepOwners);
    await check('edit-quota', stepEditQuota);
    await check('deactivate', stepDeactivate);
    await check('proxy-refuses', stepProxyRefuses);
    await check('reactivate', stepReactivate);
    await check('rotate', stepRotate);
    await check('rotate-revoke', stepRotateRevoke);
    await check('delete', stepDelete);
    await check('audit', stepAudit);
    await check('settings', stepSettings);
    await check('key-pages', stepKeyPages);
    await check('browser-clean', stepBrowserClean);
  } catch (e) {
    console.error(`!! unexpected error: ${e.stack ?? e}`);
  }
  clearTimeout(watchdog);
  await finish(false);
}

// ---------------------------------------------------------------------------------------------------------------
// The harness.

async function check(id, fn) {
  const spec = CHECKS.find((c) => c.id === id);
  const blocked = spec.needs.filter((n) => !outcome.get(n)?.ok);
  if (blocked.length > 0) {
    outcome.set(id, { ok: false, ms: 0, error: `not run: needs ${blocked.join(', ')}` });
    console.log(`✗ ${id} — ${spec.title}\n    not run: needs ${blocked.join(', ')}`);
    return;
  }
  const t0 = Date.now();
  let error = null;
  try {
    await withTimeout(fn(), STEP_TIMEOUT_MS * (id === 'setup' ? 10 : 1), id);
  } catch (e) {
    error = e;
  }
  const ms = Date.now() - t0;
  if (ctx.page && ctx.page.url() !== 'about:blank') await shot(`${id}${error ? '-FAILED' : ''}`);
  outcome.set(id, { ok: !error, ms, error: error ? String(error.message ?? error) : null });
  if (error) {
    console.log(`✗ ${id} — ${spec.title} (${ms} ms)\n${indent(String(error.message ?? error))}`);
  } else {
    console.log(`✓ ${id} — ${spec.title} (${ms} ms)`);
  }
}

async function finish(aborted) {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const c of CHECKS) {
    if (!outcome.has(c.id)) outcome.set(c.id, { ok: false, ms: 0, error: aborted ? 'not run: the run was stopped' : 'not run' });
  }
  const failed = [...outcome.values()].filter((o) => !o.ok).length;
  const passed = outcome.size - failed;
  if (failed > 0) printServiceLogs();
  await cleanup();
  writeSummary(passed, failed);
  console.log(`\nscreenshots and logs: ${outDir}`);
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

async function cleanup() {
  const quietly = async (what, fn) => {
    try {
      await withTimeout(fn(), 10_000, what);
    } catch (e) {
      console.error(`cleanup: ${what}: ${e.message ?? e}`);
    }
  };
  if (ctx.browser) await quietly('chromium', () => ctx.browser.close());
  await Promise.all([
    quietly('proxy', () => stopService(ctx.proxy)),
    quietly('admin', () => stopService(ctx.admin)),
  ]);
  if (ctx.fake) {
    fs.writeFileSync(path.join(outDir, 'fake-ollama-requests.json'), JSON.stringify(ctx.fake.requests.map(redactRequest), null, 2));
    await quietly('fake ollama', () => ctx.fake.close());
  }
  if (ctx.tmp) fs.rmSync(ctx.tmp, { recursive: true, force: true });
}

function writeSummary(passed, failed) {
  const summary = {
    passed,
    failed,
    seconds: (Date.now() - started) / 1000,
    checks: CHECKS.map((c) => ({ id: c.id, title: c.title, ...outcome.get(c.id) })),
  };
  try {
    fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  } catch {
    /* the summary is a convenience */
  }
}

function printServiceLogs() {
  for (const svc of [ctx.admin, ctx.proxy]) {
    if (svc?.output) console.log(`\n--- last lines of ${svc.name} output ---\n${tail(svc.output.trimEnd(), 20)}`);
  }
}

async function shot(label) {
  const name = `${String(++shotNo).padStart(2, '0')}-${label}.png`;
  try {
    await ctx.page.screenshot({ path: path.join(outDir, name), fullPage: true, timeout: 10_000 });
  } catch (e) {
    console.error(`   (screenshot ${name} failed: ${e.message})`);
  }
}

function prepareOutputDir() {
  fs.mkdirSync(outDir, { recursive: true });
  // Only what an earlier run of this script left; the directory may be shared.
  for (const f of fs.readdirSync(outDir)) {
    if (/^\d\d-.*\.png$/.test(f) || ['admin.log', 'proxy.log', 'init-db.log', 'build.log', 'summary.json', 'fake-ollama-requests.json'].includes(f)) {
      fs.rmSync(path.join(outDir, f), { force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Setup: build, fake Ollama, database, services, browser.

async function setup() {
  const dll = (project) => path.join(repo, 'src', project, 'bin', 'Debug', 'net10.0', `${project}.dll`);
  const dotnetEnv = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' };

  if (!skipBuild) {
    let t = Date.now();
    await run('dotnet', ['build', path.join(repo, 'OllamaQuota.slnx'), '-c', 'Debug', '-nologo', '-v', 'quiet'], {
      cwd: repo,
      env: dotnetEnv,
      logFile: path.join(outDir, 'build.log'),
    });
    console.log(`   dotnet build: ${Date.now() - t} ms`);
    if (uiDistIsStale(uiDir)) {
      t = Date.now();
      await run('npm', ['run', 'build'], { cwd: uiDir });
      console.log(`   npm run build: ${Date.now() - t} ms`);
    } else {
      console.log('   UI dist is up to date');
    }
  }
  for (const p of ['OllamaQuota.Admin', 'OllamaQuota.Proxy']) {
    if (!fs.existsSync(dll(p))) throw new Error(`${dll(p)} is missing: build the solution first`);
  }
  if (!fs.existsSync(path.join(uiDir, 'dist', 'index.html'))) throw new Error('dist/index.html is missing: run npm run build');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);

  ctx.fake = await startFakeOllama();
  ctx.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oq-e2e-'));
  ctx.password = `e2e-${crypto.randomBytes(12).toString('base64url')}`;
  const [adminPort, proxyPort] = await distinctFreePorts(2);
  ctx.adminUrl = `http://127.0.0.1:${adminPort}`;
  ctx.proxyUrl = `http://127.0.0.1:${proxyPort}`;

  const env = { ...dotnetEnv };
  // Anything from the caller's shell that would change mode or addresses is dropped.
  for (const k of Object.keys(env)) {
    if (/^(REDIS_URL|ASPNETCORE_URLS|DOTNET_URLS|ASPNETCORE_HTTP_PORTS|ConnectionStrings__|OTEL_|ALLOWED_ORIGINS)/.test(k)) delete env[k];
  }
  Object.assign(env, {
    DATABASE_URL: `sqlite:///${ctx.tmp}/e2e.db`,
    ADMIN_PASSWORD: ctx.password,
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: String(adminPort),
    PROXY_HOST: '127.0.0.1',
    PROXY_PORT: String(proxyPort),
    OLLAMA_URL: ctx.fake.url,
    DEFAULT_MODEL: 'llama3',
    ADMIN_UI_PATH: path.join(uiDir, 'dist'),
    CHANGE_POLL_MS: '200',
    USAGE_FLUSH_MS: '100',
    PROXY_PUBLIC_URL: ctx.proxyUrl,
    // Request lines and the services' own logs; not every SQL statement of the change poll.
    'Logging__LogLevel__Microsoft.EntityFrameworkCore': 'Warning',
    'Logging__LogLevel__Microsoft.AspNetCore': 'Warning',
    'Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics': 'Information',
  });

  await run('dotnet', [dll('OllamaQuota.Admin'), 'init-db'], { cwd: ctx.tmp, env, logFile: path.join(outDir, 'init-db.log'), timeoutMs: 60_000 });
  ctx.admin = startService('admin', 'dotnet', [dll('OllamaQuota.Admin')], { cwd: ctx.tmp, env, logFile: path.join(outDir, 'admin.log') });
  ctx.proxy = startService('proxy', 'dotnet', [dll('OllamaQuota.Proxy')], { cwd: ctx.tmp, env, logFile: path.join(outDir, 'proxy.log') });

  // Chromium starts while the services do.
  const browserReady = chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const t = Date.now();
  await Promise.all([waitAlive(ctx.admin, `${ctx.adminUrl}/alive`, 60_000), waitAlive(ctx.proxy, `${ctx.proxyUrl}/alive`, 60_000)]);
  console.log(`   services alive after ${Date.now() - t} ms (admin ${ctx.adminUrl}, proxy ${ctx.proxyUrl}, fake Ollama ${ctx.fake.url})`);
  ctx.browser = await browserReady;

  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', timezoneId: 'Europe/Berlin' });
  ctx.page = await context.newPage();
  ctx.page.setDefaultTimeout(10_000);
  ctx.pageErrors = [];
  ctx.consoleLines = [];
  ctx.page.on('pageerror', (e) => ctx.pageErrors.push(String(e.stack ?? e)));
  ctx.page.on('console', (m) => ctx.consoleLines.push(`${m.type()}: ${m.text()}`));
}

async function distinctFreePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

// ---------------------------------------------------------------------------------------------------------------
// The steps.

const tid = (id, within) => (within ?? ctx.page).locator(`[data-testid="${id}"]`);
const keyRow = () => ctx.page.locator(`[data-testid="key-row"][data-key-id="${ctx.keyId}"]`);

async function stepLogin() {
  const { page } = ctx;
  await page.goto(ctx.adminUrl, { waitUntil: 'domcontentloaded' });
  await tid('login-form').waitFor();
  await tid('login-password').fill(`${ctx.password}-wrong`);
  await tid('login-submit').click();
  await tid('login-error').waitFor();
  const errorText = (await tid('login-error').innerText()).trim();
  assert(errorText.length > 0, 'login-error is empty');
  assert((await tid('keys-page').count()) === 0, 'the keys page is shown after a wrong password');
  await shot('login-wrong-password');

  await tid('login-password').fill(ctx.password);
  await tid('login-submit').click();
  // The overview is the first page; the keys page is one click away.
  await tid('overview-page').waitFor();
  await tid('login-form').waitFor({ state: 'detached' });
  assertEq(await tid('nav-overview').getAttribute('aria-current'), 'page', 'nav-overview aria-current after login');
  await tid('nav-keys').click();
  await tid('keys-page').waitFor();
  // Fresh database: the list settles on "no keys yet".
  await tid('keys-empty').waitFor();
}

async function stepCreateKey() {
  const { page } = ctx;
  ctx.keyName = `e2e-${crypto.randomBytes(3).toString('hex')}`;
  await tid('create-key-button').click();
  await tid('create-key-dialog').waitFor();
  await tid('create-key-name').fill(ctx.keyName);
  await tid('create-key-daily-tokens').fill(String(DAILY_TOKENS));
  await tid('create-key-daily-requests').fill(String(DAILY_REQUESTS));
  await tid('create-key-requests-per-minute').fill(String(REQUESTS_PER_MINUTE));
  await tid('create-key-max-concurrent-requests').fill(String(MAX_CONCURRENT_REQUESTS));
  await shot('create-key-form');
  await tid('create-key-submit').click();

  await tid('key-created-dialog').waitFor();
  ctx.plaintext = await tid('plaintext-key').inputValue();
  assert(/^sk-[A-Za-z0-9_-]{20,}$/.test(ctx.plaintext), `plaintext-key does not look like a key: "${ctx.plaintext.slice(0, 8)}…" (${ctx.plaintext.length} chars)`);
  assert((await tid('key-created-warning').count()) === 1, 'key-created-warning is missing');
  await shot('key-created-dialog');
  await tid('key-created-done').click();
  await tid('key-created-dialog').waitFor({ state: 'detached' });

  const row = page.locator(`[data-testid="key-row"][data-key-name="${ctx.keyName}"]`);
  await row.waitFor();
  ctx.keyId = await row.getAttribute('data-key-id');
  assert(ctx.keyId, 'the new row has no data-key-id');
  assertEq(await row.getAttribute('data-status'), 'active', 'row data-status');
  const prefix = (await tid('key-prefix', row).innerText()).replace(/[…\s.]+$/u, '');
  assert(prefix.length >= 4 && ctx.plaintext.startsWith(prefix), `key-prefix "${prefix}" is not the start of the key`);
  assertEq(await tid('usage-today-tokens', row).getAttribute('data-limit'), String(DAILY_TOKENS), 'usage-today-tokens data-limit');
  assertEq(await tid('usage-today-requests', row).getAttribute('data-limit'), String(DAILY_REQUESTS), 'usage-today-requests data-limit');
  assertEq(await tid('usage-month-tokens', row).getAttribute('data-limit'), 'unlimited', 'usage-month-tokens data-limit');
  assertEq(await tid('usage-minute-requests', row).getAttribute('data-limit'), String(REQUESTS_PER_MINUTE), 'usage-minute-requests data-limit');
  assertEq(await tid('usage-hour-tokens', row).getAttribute('data-limit'), 'unlimited', 'usage-hour-tokens data-limit');
  assertEq(await tid('key-in-flight', row).getAttribute('data-limit'), String(MAX_CONCURRENT_REQUESTS), 'key-in-flight data-limit');
  assertEq(await tid('key-in-flight', row).getAttribute('data-in-flight'), '0', 'key-in-flight data-in-flight');
}

async function plaintextLeaks(secret = ctx.plaintext) {
  const { page } = ctx;
  const found = [];
  const html = await page.content();
  if (html.includes(secret)) found.push('page HTML');
  const inputs = await page.evaluate((k) => [...document.querySelectorAll('input, textarea')].some((i) => i.value.includes(k)), secret);
  if (inputs) found.push('an input value');
  const storage = await page.evaluate(() => {
    const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
    return { session: dump(sessionStorage), local: dump(localStorage) };
  });
  if (JSON.stringify(storage.session).includes(secret)) found.push('sessionStorage');
  if (JSON.stringify(storage.local).includes(secret)) found.push('localStorage');
  if (page.url().includes(secret)) found.push('the URL');
  if (ctx.consoleLines.some((l) => l.includes(secret))) found.push('the console');
  return found;
}

async function stepNoPlaintextLeak() {
  assertEq((await tid('plaintext-key').count()), 0, 'plaintext-key inputs left in the DOM');
  const found = await plaintextLeaks();
  assert(found.length === 0, `the plaintext key is still in: ${found.join(', ')}`);
}

async function proxyPost(route, body, key = ctx.plaintext) {
  const r = await fetch(`${ctx.proxyUrl}${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

function describe(route, r) {
  return `POST ${route} → ${r.status} ${r.headers.get('content-type') ?? ''}\n${r.text.slice(0, 600)}`;
}

async function stepProxyCalls() {
  const messages = [{ role: 'user', content: 'Say hello.' }];

  const plain = await proxyPost('/api/chat', { model: 'llama3', messages, stream: false });
  assert(plain.status === 200, `non-streamed chat failed:\n${describe('/api/chat', plain)}`);
  const pj = JSON.parse(plain.text);
  assert(pj.message?.content === FAKE_REPLY && pj.done === true, `non-streamed chat content is wrong:\n${describe('/api/chat', plain)}`);
  assertEq(pj.eval_count, FAKE_COUNTS.chat.completion, 'eval_count passed through');

  const streamed = await proxyPost('/api/chat', { model: 'llama3', messages });
  assert(streamed.status === 200, `streamed chat failed:\n${describe('/api/chat (stream)', streamed)}`);
  const lines = streamed.text.split('\n').filter((l) => l.trim());
  const chunks = lines.map((l) => JSON.parse(l));
  assert(chunks.length >= 2, `streamed chat gave ${chunks.length} NDJSON lines:\n${streamed.text.slice(0, 600)}`);
  const last = chunks.at(-1);
  assert(last.done === true && chunks.slice(0, -1).every((c) => c.done === false), `streamed chat: done flags are wrong:\n${streamed.text.slice(0, 600)}`);
  assertEq(chunks.map((c) => c.message?.content ?? '').join(''), FAKE_REPLY, 'streamed chat content');
  assertEq(last.eval_count, FAKE_COUNTS.chatStream.completion, 'streamed eval_count passed through');

  const openai = await proxyPost('/v1/chat/completions', { model: 'llama3', messages });
  assert(openai.status === 200, `OpenAI chat failed:\n${describe('/v1/chat/completions', openai)}`);
  const oj = JSON.parse(openai.text);
  assertEq(oj.choices?.[0]?.message?.content, FAKE_REPLY, 'OpenAI chat content');
  assertEq(oj.usage?.total_tokens, FAKE_COUNTS.openai.prompt + FAKE_COUNTS.openai.completion, 'OpenAI usage.total_tokens');

  // What reached the fake: three calls, each naming the model.
  const upstream = ctx.fake.requests.filter((r) => r.method === 'POST');
  assertEq(upstream.length, 3, 'POSTs that reached the fake Ollama');
}

async function stepUsageInTable() {
  const row = keyRow();
  let seen = null;
  await poll(10_000, async () => {
    await tid('keys-refresh').click();
    await ctx.page.locator('[data-testid="keys-refresh"]:not([disabled])').waitFor();
    seen = await tid('usage-today-requests', row).getAttribute('data-used');
    return seen === '3';
  }, () => `usage-today-requests data-used stayed "${seen}" (want 3) after clicking keys-refresh for 10 s`);

  const tokens = tid('usage-today-tokens', row);
  const used = await tokens.getAttribute('data-used');
  const apiKey = (await adminApi('GET', `/api/api-keys/${ctx.keyId}`)).body;
  assertEq(used, String(EXPECTED_TOKENS),
    `usage-today-tokens data-used (the fake reported ${EXPECTED_TOKENS} = prompt+eval counts; Admin API says today=${JSON.stringify(apiKey?.usage?.today)})`);
  const text = await tid('usage-value', tokens).innerText();
  assert(text.replace(/[,.\s\u202f]/g, '').startsWith(`${EXPECTED_TOKENS}/`), `usage-today-tokens text is "${text}"`);
  assertEq(await tid('usage-month-requests', row).getAttribute('data-used'), '3', 'usage-month-requests data-used');
  assertEq(await tid('usage-month-tokens', row).getAttribute('data-used'), String(EXPECTED_TOKENS), 'usage-month-tokens data-used');
  assertEq(apiKey?.usage?.today?.prompt_tokens, FAKE_COUNTS.chat.prompt + FAKE_COUNTS.chatStream.prompt + FAKE_COUNTS.openai.prompt, 'Admin API usage.today.prompt_tokens');

  // GPU time: the two native calls timed, the OpenAI one not (Ollama's /v1 reports no durations).
  assertEq(apiKey?.usage?.today?.timed_requests, 2, 'Admin API usage.today.timed_requests');
  assertEq(Math.round(apiKey?.usage?.today?.gpu_seconds * 1e9), EXPECTED_GPU_NS, 'Admin API usage.today.gpu_seconds (as ns)');
  const gpu = tid('gpu-today', row);
  assertEq(Math.round(Number(await gpu.getAttribute('data-seconds')) * 1e9), EXPECTED_GPU_NS, 'gpu-today data-seconds (as ns)');
  const gpuText = await tid('gpu-value', gpu).innerText();
  assertEq(gpuText.replace(/\s/g, ' ').replace(',', '.'), `${(EXPECTED_GPU_NS / 1e9).toFixed(2)} s`, 'gpu-today text');
  const hint = await gpu.getAttribute('title');
  assert(/\b2 (of|von) 3\b/.test(hint ?? ''), `gpu-today title is "${hint}"`);
}

async function stepDetailChart() {
  const { page } = ctx;
  await tid('key-name', keyRow()).click();
  await tid('key-detail').waitFor();
  assertEq(await tid('key-detail').getAttribute('data-key-id'), ctx.keyId, 'key-detail data-key-id');
  assertEq((await tid('detail-key-name').innerText()).trim(), ctx.keyName, 'detail-key-name');
  assert(page.url().includes(`#/keys/${ctx.keyId}`), `URL is ${page.url()}`);

  for (const chart of ['daily-chart', 'monthly-chart']) {
    const canvas = tid(`${chart}-canvas`);
    await canvas.waitFor({ timeout: 15_000 }).catch(async (e) => {
      const state = await tid(chart).innerText().catch(() => '(no chart section)');
      throw new Error(`${chart}-canvas did not appear: ${e.message.split('\n')[0]}\n${chart} shows: ${state.slice(0, 300)}`);
    });
    const models = (await canvas.getAttribute('data-models')) ?? '';
    assert(models.split(',').some((m) => m.startsWith('llama3')), `${chart}-canvas data-models is "${models}"`);
    // The chart's own svg (the legend's icons are small svgs of the same class).
    const svg = canvas.locator('.recharts-wrapper > svg.recharts-surface');
    await svg.waitFor();
    // Recharts draws each non-empty bar as a path inside .recharts-bar-rectangle.
    await canvas.locator('.recharts-bar-rectangle path').first().waitFor({ timeout: 5000 });
    const bars = await canvas.locator('.recharts-bar-rectangle path').count();
    assert(bars >= 1, `${chart}: no bars drawn`);
    const box = await svg.boundingBox();
    assert(box && box.width > 100 && box.height > 100, `${chart}: the svg is ${JSON.stringify(box)}`);
    const totals = (await tid(`${chart}-totals`).innerText()).replace(/[,.\u202f]/g, '');
    assert(totals.includes(String(EXPECTED_TOKENS)), `${chart}-totals does not show ${EXPECTED_TOKENS} tokens:\n${totals}`);
  }
  assertEq(await tid('usage-today-requests').first().getAttribute('data-used'), '3', 'detail usage-today-requests data-used');
  await tid('daily-chart-metric-requests').click();
  await tid('daily-chart-canvas').locator('.recharts-bar-rectangle path').first().waitFor();

  // GPU time per model, and the chart of it.
  const gpuCell = ctx.page.locator('[data-testid^="daily-chart-gpu-llama3"]');
  assertEq(Math.round(Number(await gpuCell.getAttribute('data-seconds')) * 1e9), EXPECTED_GPU_NS, 'daily-chart GPU time of llama3 (as ns)');
  await tid('daily-chart-metric-gpu_seconds').click();
  assertEq(await tid('daily-chart-metric-gpu_seconds').getAttribute('aria-checked'), 'true', 'daily-chart GPU metric selected');
  await tid('daily-chart-canvas').locator('.recharts-bar-rectangle path').first().waitFor();
}

async function stepOverview() {
  const { page } = ctx;
  await tid('nav-overview').click();
  await tid('overview-totals').waitFor();
  assertEq(digits(await tid('overview-requests').innerText()), '3', 'overview-requests');
  assertEq(digits(await tid('overview-tokens').innerText()), String(EXPECTED_TOKENS), 'overview-tokens');
  assertEq(digits(await tid('overview-refused-429').innerText()), '0', 'overview-refused-429');
  assertEq(digits(await tid('overview-errors').innerText()), '0', 'overview-errors');
  const models = await page.locator('[data-testid="overview-model-name"]').allInnerTexts();
  assertEq(models.join(','), 'llama3', 'overview models');
  const keyRowOnOverview = page.locator(`[data-testid="overview-key-row"][data-id="${ctx.keyId}"]`);
  assertEq((await tid('overview-key-name', keyRowOnOverview).innerText()).trim(), ctx.keyName, 'overview top key name');
  assertEq(digits(await tid('cell-requests', keyRowOnOverview).innerText()), '3', 'overview top key requests');
  const year = String(new Date().getFullYear());
  assert((await tid('overview-range').innerText()).includes(year), `overview-range does not carry the year ${year}`);
  await tid('overview-chart-canvas').locator('.recharts-bar-rectangle path').first().waitFor();
  // Recharts 3 may draw the ticks outside their axis group: the day ticks are the ones naming a month.
  const ticks = await tid('overview-chart-canvas').locator('.recharts-cartesian-axis-tick-value').allTextContents();
  const dayTicks = ticks.filter((t) => /\p{L}{3}/u.test(t));
  assert(dayTicks.length > 0 && dayTicks.every((t) => t.includes(year)), `chart dates without the year: ${JSON.stringify(ticks)}`);
  await tid('overview-period-month').click();
  await page.locator('[data-testid="overview-period-month"][aria-checked="true"]').waitFor();
  await poll(5_000, async () => digits(await tid('overview-requests').innerText()) === '3', () => 'overview (month) requests is not 3');
  await shot('overview');
}

async function stepRequestLog() {
  const { page } = ctx;
  await tid('nav-requests').click();
  await tid('requests-table').waitFor();
  const rows = page.locator(`[data-testid="request-row"][data-key-id="${ctx.keyId}"]`);
  assertEq(await rows.count(), 3, 'request-log rows of the key');
  assertEq((await rows.first().getAttribute('data-status')), '200', 'request-log status');
  await shot('request-log');

  await tid('requests-filter-endpoint').fill('/v1/chat/completions');
  await tid('requests-apply').click();
  await poll(5_000, async () => (await page.locator('[data-testid="request-row"]').count()) === 1, async () =>
    `request-log rows after the endpoint filter: ${await page.locator('[data-testid="request-row"]').count()} (want 1)`);
  assertEq(await page.locator('[data-testid="request-row"]').first().getAttribute('data-model'), 'llama3', 'filtered row model');

  await tid('requests-clear').click();
  await tid('requests-filter-key_id').fill(crypto.randomUUID());
  await tid('requests-apply').click();
  await tid('requests-empty').waitFor();

  // The CSV: the same filter on the server, every match, one line each.
  const csv = await fetch(`${ctx.adminUrl}/api/requests.csv?key_id=${ctx.keyId}`, {
    headers: { Authorization: `Bearer ${ctx.password}` },
    signal: AbortSignal.timeout(10_000),
  });
  assertEq(csv.status, 200, 'requests.csv status');
  const lines = (await csv.text()).split('\r\n').filter((l) => l);
  assertEq(lines.length, 4, 'requests.csv lines (header + 3)');
  assert(lines.slice(1).every((l) => l.includes(ctx.keyId) && l.includes(',llama3,')), `requests.csv lines: ${lines.join(' | ')}`);

  // The download button hands the browser the same file.
  await tid('requests-clear').click();
  await tid('requests-table').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), tid('requests-csv').click()]);
  assertEq(download.suggestedFilename(), 'requests.csv', 'downloaded file name');
}

const digits = (text) => text.replace(/[^0-9]/g, '');

async function stepOwners() {
  const { page } = ctx;
  const OWNER_DAILY_REQUESTS = 10;
  ctx.ownerName = `team-${crypto.randomBytes(3).toString('hex')}`;
  await tid('nav-owners').click();
  await tid('owners-page').waitFor();
  await tid('create-owner-button').click();
  await tid('owner-dialog').waitFor();
  await tid('owner-name').fill(ctx.ownerName);
  await tid('owner-daily-requests').fill(String(OWNER_DAILY_REQUESTS));
  await tid('owner-submit').click();
  await tid('owner-dialog').waitFor({ state: 'detached' });
  const ownerRow = page.locator(`[data-testid="owner-row"][data-owner-name="${ctx.ownerName}"]`);
  await ownerRow.waitFor();
  const ownerId = await ownerRow.getAttribute('data-owner-id');

  // The key (with its three requests of today) goes to the owner, from the key's edit dialog.
  await tid('nav-keys').click();
  await tid('keys-page').waitFor();
  await tid('edit-quota-button', keyRow()).click();
  await tid('edit-quota-dialog').waitFor();
  await tid('edit-quota-owner').locator(`option[value="${ownerId}"]`).waitFor({ state: 'attached' });
  await tid('edit-quota-owner').selectOption(ownerId);
  await tid('edit-quota-submit').click();
  await tid('edit-quota-dialog').waitFor({ state: 'detached' });
  assertEq((await tid('key-owner', keyRow()).innerText()).trim(), `Owner: ${ctx.ownerName}`, 'key-owner in the keys table');

  // One more request: the owner's usage is the usage of the keys it holds now, so 3 + 1.
  const r = await proxyPost('/api/chat', { model: 'llama3', messages: [{ role: 'user', content: 'Owned now?' }], stream: false });
  assert(r.status === 200, `chat after the move failed:\n${describe('/api/chat', r)}`);
  let seen = null;
  await poll(10_000, async () => {
    await tid('nav-keys').click();
    await tid('nav-owners').click();
    await ownerRow.waitFor();
    seen = await tid('owner-usage-today-requests', ownerRow).getAttribute('data-used');
    return seen === '4';
  }, () => `owner-usage-today-requests data-used stayed "${seen}" (want 4)`);
  assertEq(await tid('owner-usage-today-requests', ownerRow).getAttribute('data-limit'), String(OWNER_DAILY_REQUESTS), 'owner-usage-today-requests data-limit');
  assertEq((await tid('owner-keys', ownerRow).innerText()).trim(), ctx.keyName, 'owner-keys');
  await shot('owners-page');

  const quota = await fetch(`${ctx.proxyUrl}/quota`, { headers: { Authorization: `Bearer ${ctx.plaintext}` }, signal: AbortSignal.timeout(10_000) });
  assertEq(quota.status, 200, 'GET /quota status');
  const q = await quota.json();
  assertEq(q.owner?.name, ctx.ownerName, 'GET /quota owner.name');
  const ownerDay = q.windows?.find((w) => w.scope === 'owner' && w.limit === 'daily_requests');
  assertEq(JSON.stringify([ownerDay?.limit_value, ownerDay?.used, ownerDay?.remaining]), JSON.stringify([OWNER_DAILY_REQUESTS, 4, OWNER_DAILY_REQUESTS - 4]), 'GET /quota owner daily_requests');

  // The overview's by-owner table counts the key's usage for the owner it has now: all four requests of today.
  let ownerRequests = null;
  await poll(10_000, async () => {
    await tid('nav-keys').click();
    await tid('nav-overview').click();
    const row = page.locator('[data-testid="overview-owner-row"]').filter({ hasText: ctx.ownerName });
    await tid('overview-by-owner').waitFor();
    if ((await row.count()) === 0) return false;
    ownerRequests = (await tid('cell-requests', row).innerText()).trim();
    return ownerRequests === '4';
  }, () => `the overview's row of the owner shows "${ownerRequests}" requests (want 4)`);
}

async function stepEditQuota() {
  const { page } = ctx;
  if (!page.url().endsWith('#/keys')) {
    await page.locator('[data-testid="nav-keys"]').click();
  }
  await tid('keys-page').waitFor();
  const row = keyRow();
  await row.waitFor();
  await page.evaluate(() => {
    window.__e2eSamePage = true;
  });

  await tid('edit-quota-button', row).click();
  await tid('edit-quota-dialog').waitFor();
  const current = await tid('edit-quota-daily-tokens').inputValue();
  assertEq(current.replace(/\D/g, ''), String(DAILY_TOKENS), 'edit-quota-daily-tokens starts with the current limit');
  await tid('edit-quota-daily-tokens').fill(String(NEW_DAILY_TOKENS));
  await shot('edit-quota-dialog');
  await tid('edit-quota-submit').click();
  await tid('edit-quota-dialog').waitFor({ state: 'detached' });

  let limit = null;
  await poll(5000, async () => {
    limit = await tid('usage-today-tokens', row).getAttribute('data-limit');
    return limit === String(NEW_DAILY_TOKENS);
  }, () => `usage-today-tokens data-limit is "${limit}" (want ${NEW_DAILY_TOKENS})`);
  assert(await page.evaluate(() => window.__e2eSamePage === true), 'the page was reloaded');
  const text = (await tid('usage-value', tid('usage-today-tokens', row)).innerText()).replace(/[,.\s\u202f]/g, '');
  assert(text.endsWith(`/${NEW_DAILY_TOKENS}`), `usage-today-tokens shows "${text}"`);
  assertEq(await tid('usage-today-requests', row).getAttribute('data-limit'), String(DAILY_REQUESTS), 'daily_requests unchanged');
  const api = await adminApi('GET', `/api/api-keys/${ctx.keyId}`);
  assertEq(api.body.daily_tokens, NEW_DAILY_TOKENS, 'Admin API daily_tokens after the edit');
}

async function stepDeactivate() {
  const { page } = ctx;
  const row = keyRow();
  await row.waitFor();
  await tid('deactivate-button', row).click();
  const dialog = tid('deactivate-dialog');
  await dialog.waitFor();
  assertEq(await dialog.getAttribute('role'), 'alertdialog', 'deactivate-dialog role');
  await shot('deactivate-dialog');
  await tid('deactivate-confirm').click();
  await dialog.waitFor({ state: 'detached' });
  ctx.deactivatedAt = Date.now();
  await page.locator(`[data-testid="key-row"][data-key-id="${ctx.keyId}"][data-status="deactivated"]`).waitFor({ timeout: 5000 });
  assertEq(await tid('key-status', row).getAttribute('data-status'), 'deactivated', 'key-status data-status');
  assertEq(await tid('deactivate-button', row).count(), 0, 'deactivate-button still offered for a deactivated key');
}

async function stepProxyRefuses() {
  const deadline = ctx.deactivatedAt + 2000;
  const messages = [{ role: 'user', content: 'Still there?' }];
  let r;
  do {
    r = await proxyPost('/api/chat', { model: 'llama3', messages, stream: false });
    if (r.status === 401) break;
    await sleep(100);
  } while (Date.now() < deadline);
  const after = Date.now() - ctx.deactivatedAt;
  assert(r.status === 401, `no 401 within 2 s of deactivation (${after} ms); last answer:\n${describe('/api/chat', r)}`);
  console.log(`   401 after ${after} ms`);
  let body;
  try {
    body = JSON.parse(r.text);
  } catch {
    throw new Error(`the 401 is not JSON:\n${describe('/api/chat', r)}`);
  }
  assert(typeof body.error === 'string', `the 401 is not Ollama-style {"error": "…"}:\n${describe('/api/chat', r)}`);

  const o = await proxyPost('/v1/chat/completions', { model: 'llama3', messages });
  assertEq(o.status, 401, `/v1/chat/completions status:\n${describe('/v1/chat/completions', o)}\n`);
  const oj = JSON.parse(o.text);
  assert(typeof oj.error?.message === 'string', `the /v1 401 is not OpenAI-style {"error":{"message",…}}:\n${describe('/v1/chat/completions', o)}`);
}

const CHAT = { model: 'llama3', messages: [{ role: 'user', content: 'Hello again.' }], stream: false };

/** Sends a chat with `key` until it answers `status` or 2 s have passed since `since`; returns the last answer. */
async function proxyUntil(key, status, since) {
  let r;
  do {
    r = await proxyPost('/api/chat', CHAT, key);
    if (r.status === status) return r;
    await sleep(100);
  } while (Date.now() < since + 2000);
  throw new Error(`no ${status} within 2 s (${Date.now() - since} ms); last answer:\n${describe('/api/chat', r)}`);
}

async function stepReactivate() {
  const row = keyRow();
  await tid('reactivate-button', row).click();
  await tid('reactivate-dialog').waitFor();
  await shot('reactivate-dialog');
  await tid('reactivate-confirm').click();
  await tid('reactivate-dialog').waitFor({ state: 'detached' });
  const since = Date.now();
  await ctx.page.locator(`[data-testid="key-row"][data-key-id="${ctx.keyId}"][data-status="active"]`).waitFor({ timeout: 5000 });
  await proxyUntil(ctx.plaintext, 200, since);
}

/** Rotates the key from its row with `hours` of grace; returns the new plaintext the dialog showed. */
async function rotateInUi(hours) {
  const row = keyRow();
  await tid('rotate-button', row).click();
  await tid('rotate-dialog').waitFor();
  assertEq(await tid('rotate-grace-hours').inputValue(), '24', 'rotate-grace-hours default');
  await tid('rotate-grace-hours').fill(String(hours));
  await shot(`rotate-dialog-${hours}h`);
  await tid('rotate-confirm').click();
  await tid('key-created-dialog').waitFor();
  const plaintext = await tid('plaintext-key').inputValue();
  assert(/^sk-[A-Za-z0-9_-]{20,}$/.test(plaintext), 'the rotated key does not look like a key');
  await tid('key-created-done').click();
  await tid('key-created-dialog').waitFor({ state: 'detached' });
  ctx.rotatedKeys = [...(ctx.rotatedKeys ?? []), plaintext];
  const found = await plaintextLeaks(plaintext);
  assert(found.length === 0, `the rotated key is still in: ${found.join(', ')}`);
  const prefix = (await tid('key-prefix', row).innerText()).replace(/[…\s.]+$/u, '');
  assert(plaintext.startsWith(prefix), `the row's prefix "${prefix}" is not the new key's`);
  return plaintext;
}

async function stepRotate() {
  ctx.firstRotated = await rotateInUi(24);
  assert(ctx.firstRotated !== ctx.plaintext, 'rotation gave the same key');
  const oldKey = await proxyPost('/api/chat', CHAT, ctx.plaintext);
  assertEq(oldKey.status, 200, `the replaced key within its grace period:\n${describe('/api/chat', oldKey)}\n`);
  const newKey = await proxyPost('/api/chat', CHAT, ctx.firstRotated);
  assertEq(newKey.status, 200, `the new key:\n${describe('/api/chat', newKey)}\n`);
  const key = (await adminApi('GET', `/api/api-keys/${ctx.keyId}`)).body;
  assertEq(key?.daily_tokens, NEW_DAILY_TOKENS, 'daily_tokens after rotation');
  const graceHours = (Date.parse(key.previous_key_expires_at) - Date.now()) / 3_600_000;
  assert(graceHours > 23.9 && graceHours <= 24, `the grace period ends in ${graceHours} h, not 24`);
}

async function stepRotateRevoke() {
  ctx.secondRotated = await rotateInUi(0);
  const since = Date.now();
  const refused = await proxyUntil(ctx.firstRotated, 401, since);
  assert(JSON.parse(refused.text).error.includes('rotated'), `the 401 does not say the key was rotated:\n${describe('/api/chat', refused)}`);
  const current = await proxyPost('/api/chat', CHAT, ctx.secondRotated);
  assertEq(current.status, 200, `the newest key:\n${describe('/api/chat', current)}\n`);
}

async function stepDelete() {
  const { page } = ctx;
  await tid('key-detail-button', keyRow()).click();
  await tid('key-detail').waitFor();
  await tid('delete-button').click();
  await tid('delete-dialog').waitFor();
  await shot('delete-dialog');
  await tid('delete-confirm').click();
  await tid('delete-dialog').waitFor({ state: 'detached' });
  const since = Date.now();
  await page.locator('[data-testid="key-status"][data-status="deleted"]').waitFor({ timeout: 5000 });
  const refused = await proxyUntil(ctx.secondRotated, 401, since);
  assert(JSON.parse(refused.text).error.includes('deleted'), `the 401 does not say the key was deleted:\n${describe('/api/chat', refused)}`);

  await tid('back-to-keys').click();
  await tid('keys-page').waitFor();
  assertEq(await keyRow().count(), 0, 'rows of the deleted key in the default list');
  // Its only key deleted, the page is empty and offers the deleted keys.
  await tid('keys-show-deleted').click();
  await page.locator(`[data-testid="key-row"][data-key-id="${ctx.keyId}"][data-status="deleted"]`).waitFor({ timeout: 5000 });
  await tid('keys-status-filter').selectOption('all');
  // The usage stays: the events of the key are still counted in the Admin's answer.
  let used = null;
  await poll(5000, async () => {
    used = (await adminApi('GET', `/api/api-keys/${ctx.keyId}`)).body.usage?.today.requests;
    return used >= 6;
  }, () => `the deleted key's usage today is ${used} requests (want at least 6)`);
}

async function stepAudit() {
  const { page } = ctx;
  await tid('nav-audit').click();
  await tid('audit-page').waitFor();
  await tid('audit-filter-target').fill(ctx.keyId);
  await tid('audit-apply').click();
  const rows = page.locator(`[data-testid="audit-row"][data-target-id="${ctx.keyId}"]`);
  let actions = [];
  // api_key.move: the owners step gave the key an owner.
  const want = ['api_key.delete', 'api_key.rotate', 'api_key.rotate', 'api_key.reactivate', 'api_key.deactivate', 'api_key.update', 'api_key.move', 'api_key.create'];
  await poll(5000, async () => {
    actions = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    return JSON.stringify(actions) === JSON.stringify(want);
  }, () => `audit rows for the key: ${JSON.stringify(actions)} (want ${JSON.stringify(want)})`);
  const update = (await rows.nth(5).locator('[data-testid="audit-changes"]').innerText()).replace(/[,.\s\u202f]/g, '');
  assert(update.includes(`${DAILY_TOKENS}→${NEW_DAILY_TOKENS}`), `the quota change reads "${update}"`);
  assert((await rows.nth(0).locator('[data-testid="audit-by"]').innerText()).includes('127.0.0.1'), 'the caller address is missing');
  await shot('audit-page');
  const html = await page.content();
  for (const secret of [ctx.plaintext, ...ctx.rotatedKeys]) {
    assert(!html.includes(secret), 'a plaintext key is on the audit page');
  }
  const log = JSON.stringify((await adminApi('GET', '/api/audit?page_size=200')).body);
  for (const secret of [ctx.plaintext, ...ctx.rotatedKeys]) {
    assert(!log.includes(secret) && !log.includes(crypto.createHash('sha256').update(secret).digest('hex')), 'a key or its hash is in the audit log');
  }
}

async function stepSettings() {
  const { page } = ctx;
  await tid('nav-settings').click();
  await tid('settings-form').waitFor();
  assertEq(await tid('settings-ollama-url').inputValue(), ctx.fake.url, 'settings-ollama-url');

  const select = tid('settings-default-model');
  let state = null;
  await poll(10_000, async () => {
    state = await select.evaluate((el) => ({ tag: el.tagName, disabled: el.disabled, options: el.tagName === 'SELECT' ? [...el.options].map((o) => o.textContent.trim()) : [] }))
      .catch(() => null);
    return state && state.tag === 'SELECT' && !state.disabled && state.options.length > 0;
  }, async () => {
    const note = (await tid('models-unavailable').count()) ? await tid('models-unavailable').innerText() : '';
    return `settings-default-model never became an enabled <select>: ${JSON.stringify(state)} ${note}`;
  });
  assert(!state.options.some((o) => o.includes('not installed')), `the default model is installed, yet the list says otherwise: ${JSON.stringify(state.options)}`);
  for (const m of FAKE_MODELS) {
    assert(state.options.includes(m.name), `the model list ${JSON.stringify(state.options)} lacks ${m.name}`);
  }

  await tid('test-connection-button').click();
  const result = tid('test-connection-result');
  await result.waitFor();
  await page.locator('[data-testid="test-connection-result"][data-result]').waitFor();
  const kind = await result.getAttribute('data-result');
  const text = await result.innerText();
  assert(kind === 'ok', `test-connection-result is "${kind}": ${text}`);
  assert(text.includes(FAKE_VERSION), `test-connection-result does not show ${FAKE_VERSION}: "${text}"`);
}

// More keys than fit a page: the table asks the server for 50 at a time, searched, with the total of matches; the page
// survives a reload, and back goes to the one before.
async function stepKeyPages() {
  const { page } = ctx;
  const batch = `e2e-page-${crypto.randomBytes(3).toString('hex')}`;
  for (let i = 0; i < 55; i++) await adminApi('POST', '/api/api-keys', { name: `${batch}-${String(i).padStart(2, '0')}` });
  await tid('nav-keys').click();
  await tid('keys-table').waitFor();

  const searched = page.waitForRequest((r) => new URL(r.url()).searchParams.get('search') === batch);
  await tid('keys-search').fill(batch);
  assertEq(new URL((await searched).url()).searchParams.get('limit'), '50', 'limit of the searched key list');
  const count = async () => (await tid('keys-count').innerText()).replace(/\D+/g, ' ').trim();
  const showing = async (want, when) =>
    poll(5000, async () => (await count()) === want, async () => `keys-count ${when} reads "${await count()}" (want the numbers ${want})`);
  await showing('1 50 55', 'after the search');
  assertEq(await tid('key-row').count(), 50, 'rows on the first page');

  await tid('keys-next').click();
  await showing('51 55 55', 'on the second page');
  assertEq(await tid('key-row').count(), 5, 'rows on the second page');
  assert(page.url().includes('page=2'), `the URL ${page.url()} does not name the page`);
  await shot('keys-second-page');

  await page.reload();
  await tid('keys-table').waitFor();
  await showing('51 55 55', 'after a reload');
  assertEq(await tid('keys-search').inputValue(), batch, 'keys-search after a reload');
  await page.goBack();
  await showing('1 50 55', 'after going back');
}

async function stepBrowserClean() {
  assert(ctx.pageErrors.length === 0, `uncaught page errors:\n${ctx.pageErrors.join('\n')}`);
  for (const secret of [ctx.plaintext, ...(ctx.rotatedKeys ?? [])].filter(Boolean)) {
    const found = await plaintextLeaks(secret);
    assert(found.length === 0, `at the end a plaintext key is in: ${found.join(', ')}`);
  }
  const errors = ctx.consoleLines.filter((l) => l.startsWith('error:'));
  if (errors.length) console.log(`   console errors (not failures):\n${indent(errors.join('\n'))}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

async function adminApi(method, route, body) {
  const r = await fetch(`${ctx.adminUrl}${route}`, {
    method,
    headers: { Authorization: `Bearer ${ctx.password}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  if (!r.ok) throw new Error(`Admin API ${method} ${route} → ${r.status}: ${text.slice(0, 400)}`);
  return { status: r.status, body: json };
}

/** Calls `probe` until it returns true; throws `explain()` when `timeoutMs` has passed. */
async function poll(timeoutMs, probe, explain) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() >= deadline) throw new Error(await explain());
    await sleep(250);
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function assertEq(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}

function indent(text) {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

function redactRequest(r) {
  const headers = { ...r.headers };
  if (headers.authorization) headers.authorization = '(present!)';
  return { method: r.method, url: r.url, headers, body: r.body };
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

await main();
