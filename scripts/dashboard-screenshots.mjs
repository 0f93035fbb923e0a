// The browser half of dashboard-screenshots.sh: sends requests through the running proxy, then photographs the
// Aspire dashboard's resources page and the trace of one proxied request in headless Chromium (playwright-core
// from the Admin UI's dev dependencies).
//
//   ADMIN_PASSWORD=... node scripts/dashboard-screenshots.mjs <dashboard-login-url> <output-folder>
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/OllamaQuota.AdminUi');
const { chromium } = createRequire(path.join(ui, 'package.json'))('playwright-core');

const [loginUrl, outDir] = process.argv.slice(2);
const PROXY = 'http://127.0.0.1:8000';
const ADMIN = 'http://127.0.0.1:8001';
const dashboard = new URL(loginUrl).origin;

async function call(url, { method = 'GET', headers = {}, body } = {}) {
  const response = await fetch(url, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: body && JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${text}`);
  return text;
}

// 1. Keys, made through the admin as an operator would.
const admin = { Authorization: `Bearer ${process.env.ADMIN_PASSWORD}` };
const createKey = async (name) =>
  JSON.parse(await call(`${ADMIN}/api/api-keys`, { method: 'POST', headers: admin, body: { name, daily_tokens: 100000 } })).key;
const client = { Authorization: `Bearer ${await createKey('dashboard-warm-up')}` };
const messages = [{ role: 'user', content: 'Hello' }];

// 2. A few calls of each kind, so the dashboard has traffic and the traced call below is not the first (cold) one.
for (let i = 0; i < 3; i++) {
  await call(`${PROXY}/api/chat`, { method: 'POST', headers: client, body: { model: 'llama3', messages, stream: false } });
  await call(`${PROXY}/api/chat`, { method: 'POST', headers: client, body: { model: 'llama3', messages } });
  await call(`${PROXY}/v1/chat/completions`, { method: 'POST', headers: client, body: { model: 'llama3', messages } });
}

// 3. The request to show: the first of a new key, so the trace has every step (the key read from PostgreSQL, its
//    counters seeded in Redis), with a trace id of our own (W3C traceparent) so its trace can be opened directly.
const traceId = crypto.randomBytes(16).toString('hex');
await call(`${PROXY}/api/chat`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${await createKey('dashboard-demo')}`, traceparent: `00-${traceId}-${crypto.randomBytes(8).toString('hex')}-01` },
  body: { model: 'llama3', messages, stream: false },
});

// 4. The screenshots.
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.goto(loginUrl);
  await page.getByText('proxy', { exact: true }).first().waitFor({ timeout: 30_000 });
  await dismissBanner(page);
  await page.screenshot({ path: path.join(outDir, 'dashboard-resources.png') });

  // Telemetry is exported in batches (1 s under Aspire): reload until the whole trace is in.
  const deadline = Date.now() + 60_000;
  for (;;) {
    await page.goto(`${dashboard}/traces/detail/${traceId}`);
    const settle = page.getByText('settle', { exact: true });
    if (await settle.first().waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} did not reach the dashboard`);
  }
  await page.setViewportSize({ width: 1920, height: 1000 });
  await dismissBanner(page);
  await page.getByText('proxy.request', { exact: true }).first().click();
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(outDir, 'dashboard-trace.png') });
} finally {
  await browser.close();
}
console.log(`trace ${traceId}`);

// Without a trusted development certificate (the http launch profile) the dashboard says so in a banner on each page.
async function dismissBanner(page) {
  const dismiss = page.locator('.dashboard-message-bar-dismiss').first();
  if (await dismiss.waitFor({ timeout: 3_000 }).then(() => true, () => false)) await dismiss.click();
  await page.waitForTimeout(1000);
}
