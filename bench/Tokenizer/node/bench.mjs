// Times npm tiktoken (WASM) on the corpora the C# benchmark uses; writes JSON for Program.cs to compare.
// Usage: node bench.mjs <vectors.json> <out.json> [pathological-timeout-seconds]
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { get_encoding } from "tiktoken";

const MiB = 1 << 20;

function* lcg(seed) {
  let state = seed >>> 0;
  for (;;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    yield state;
  }
}

export function corpora(vectorsPath) {
  const mixed = JSON.parse(readFileSync(vectorsPath, "utf8")).hashed.find((h) => h.name === "mixed_1mb");
  const rng = lcg(mixed.seed);
  const parts = [];
  let length = 0;
  while (length < mixed.minLength) {
    const f = mixed.fragments[(rng.next().value >>> 16) % mixed.fragments.length];
    parts.push(f);
    length += f.length;
  }
  return {
    "mixed 1 MiB": parts.join(""),
    "'a' x 64 KiB": "a".repeat(64 * 1024),
    "spaces x 64 KiB": " ".repeat(64 * 1024),
    "'a' x 1 MiB": "a".repeat(MiB),
    "spaces x 1 MiB": " ".repeat(MiB),
  };
}

// Warm up, then time whole-corpus encodes for at least `seconds`; report the fastest run, the one
// least disturbed by other work on a shared machine (the C# side does the same).
function measure(enc, text, seconds) {
  let tokens = enc.encode(text, [], []).length;
  const times = [];
  const deadline = performance.now() + seconds * 1000;
  while (times.length < 3 || (performance.now() < deadline && times.length < 50)) {
    const start = performance.now();
    tokens = enc.encode(text, [], []).length;
    times.push(performance.now() - start);
  }
  return { tokens, seconds: Math.min(...times) / 1000, runs: times.length };
}

const [vectorsPath, outPath, timeoutArg] = process.argv.slice(2);
if (process.argv[2] === "--one") {
  // Child mode: one cold encode of a pathological corpus, so the parent can enforce a time limit.
  const enc = get_encoding("cl100k_base");
  const text = corpora(process.argv[3])[process.argv[4]];
  const start = performance.now();
  const tokens = enc.encode(text, [], []).length;
  console.log(JSON.stringify({ tokens, seconds: (performance.now() - start) / 1000, runs: 1 }));
  process.exit(0);
}

const timeout = Number(timeoutArg ?? 120);
const enc = get_encoding("cl100k_base");
const results = {};
for (const [name, text] of Object.entries(corpora(vectorsPath))) {
  const bytes = Buffer.byteLength(text, "utf8");
  let r;
  if (name.endsWith("1 MiB") && !name.startsWith("mixed")) {
    // tiktoken's merge is quadratic in piece length: one run, in a child process, under a time limit.
    const start = performance.now();
    const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname, "--one", vectorsPath, name],
      { encoding: "utf8", timeout: timeout * 1000 });
    const elapsed = (performance.now() - start) / 1000;
    if (child.status === 0) {
      r = JSON.parse(child.stdout);
    } else {
      // Either our time limit, or tiktoken itself gives up (its WASM traps on some long runs).
      const error = child.error?.code === "ETIMEDOUT" || child.signal
        ? `no result within ${timeout} s`
        : `failed after ${elapsed.toFixed(1)} s: ${(child.stderr.match(/^\w*Error.*$/m) ?? ["exit " + child.status])[0]}`;
      r = { tokens: null, seconds: null, error, elapsed };
    }
  } else {
    r = measure(enc, text, 3);
  }
  results[name] = { bytes, chars: text.length, ...r };
  console.error(`tiktoken ${name}: ${JSON.stringify(results[name])}`);
}
enc.free();
const version = JSON.parse(readFileSync(new URL("./node_modules/tiktoken/package.json", import.meta.url), "utf8")).version;
writeFileSync(outPath, JSON.stringify({ tiktoken: version, node: process.version, results }, null, 1));
