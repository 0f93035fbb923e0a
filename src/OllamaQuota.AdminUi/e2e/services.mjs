// Building and running the real programs for the end-to-end test: the .NET solution, the UI bundle,
// the Admin and Proxy services as child processes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Runs a command to completion; rejects with its output's tail when it fails. */
export function run(cmd, args, { cwd, env, logFile, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const collect = (d) => {
      out += d;
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (logFile) fs.writeFileSync(logFile, out);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}:\n${tail(out, 30)}`));
    });
  });
}

export function tail(text, lines) {
  return text.split('\n').slice(-lines).join('\n');
}

/** A port the OS says is free right now (closed again before it is used; fine on a test machine). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The newest modification time under the given files/folders (skipping tests, which do not go into dist). */
function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) {
        if (name === '__tests__' || name === 'test' || name === 'node_modules') continue;
        visit(path.join(p, name));
      }
    } else {
      newest = Math.max(newest, st.mtimeMs);
    }
  };
  paths.forEach(visit);
  return newest;
}

/** True when dist is missing or older than anything it is built from. */
export function uiDistIsStale(uiDir) {
  const built = path.join(uiDir, 'dist', 'index.html');
  if (!fs.existsSync(built)) return true;
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'tsconfig.json', 'package.json', 'package-lock.json'];
  return newestMtime(sources.map((s) => path.join(uiDir, s))) > fs.statSync(built).mtimeMs;
}

/**
 * A long-running service. Output goes to a log file (and is kept for error messages); `exited` tells
 * whether it died early so waiting for it can stop at once.
 */
export function startService(name, cmd, args, { cwd, env, logFile }) {
  const log = fs.createWriteStream(logFile);
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const svc = { name, child, output: '', exited: null };
  const collect = (d) => {
    log.write(d);
    svc.output += d;
    if (svc.output.length > 100_000) svc.output = svc.output.slice(-50_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('exit', (code, signal) => {
    svc.exited = { code, signal };
  });
  child.on('close', () => log.end());
  child.on('error', (e) => {
    svc.exited = { code: null, signal: String(e) };
  });
  return svc;
}

/** Polls `url` until it answers 200, the service exits, or the time is up. */
export async function waitAlive(svc, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (svc.exited) {
      throw new Error(`${svc.name} exited (${svc.exited.code ?? svc.exited.signal}) before ${url} answered:\n${tail(svc.output, 25)}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.cause?.code ?? e.message;
    }
    await sleep(150);
  }
  throw new Error(`${svc.name}: ${url} did not answer within ${timeoutMs} ms (last: ${last}):\n${tail(svc.output, 25)}`);
}

/** SIGTERM, then SIGKILL if it has not gone after `graceMs`. */
export async function stopService(svc, graceMs = 5000) {
  if (!svc || svc.exited || svc.child.exitCode !== null) return;
  const gone = new Promise((resolve) => svc.child.once('exit', resolve));
  svc.child.kill('SIGTERM');
  const timer = setTimeout(() => svc.child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
