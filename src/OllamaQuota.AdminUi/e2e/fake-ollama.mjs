// A stand-in for Ollama that speaks its real wire format, for the end-to-end test. Token counts are fixed per
// endpoint so the test knows exactly what usage the proxy must record.
import http from 'node:http';

export const FAKE_VERSION = '0.12.3';

export const FAKE_MODELS = [
  {
    name: 'llama3:latest',
    model: 'llama3:latest',
    modified_at: '2025-09-18T10:12:44.512049981+02:00',
    size: 4661224676,
    digest: '365c0bd3c000a25d28ddbf732fe1c6add414de7275464c4e4d1c3b5fcb5d8ad1',
    details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '8.0B', quantization_level: 'Q4_0' },
  },
  {
    name: 'qwen2.5:0.5b',
    model: 'qwen2.5:0.5b',
    modified_at: '2025-08-02T08:01:09.10233+02:00',
    size: 397821319,
    digest: 'a8b0c51577010a279d933d14c2a8ab4b268079d44c5c8830c0a93900f1827c67',
    details: { parent_model: '', format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '494.03M', quantization_level: 'Q4_K_M' },
  },
];

/** prompt/completion token counts the fake reports, per kind of call. */
export const FAKE_COUNTS = {
  chat: { prompt: 11, completion: 7 },
  chatStream: { prompt: 13, completion: 5 },
  openai: { prompt: 17, completion: 9 },
};

/**
 * Ollama's durations (nanoseconds) on the final chunk, per kind of call; the OpenAI-compatible endpoint reports none,
 * as Ollama's does not.
 */
export const FAKE_DURATIONS = {
  chat: { total: 183456789, load: 12345678, promptEval: 23456789, eval: 123456789 },
  chatStream: { total: 203456789, load: 1234567, promptEval: 13456789, eval: 103456789 },
};

export const FAKE_REPLY = 'Hello from the fake Ollama.';
const STREAM_PIECES = ['Hello', ' from', ' the', ' fake', ' Ollama.'];

/** Starts the fake on 127.0.0.1 (random port). Resolves to { url, requests, close }. */
export async function startFakeOllama() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          return json(res, 400, { error: 'invalid character in request body' });
        }
      }
      requests.push({ method: req.method, url: req.url, body, headers: req.headers });
      try {
        route(req, res, body ?? {});
      } catch (e) {
        json(res, 500, { error: String(e) });
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function route(req, res, body) {
  const path = new URL(req.url, 'http://x').pathname;
  const key = `${req.method} ${path}`;
  switch (key) {
    case 'GET /api/version':
      return json(res, 200, { version: FAKE_VERSION });
    case 'GET /api/tags':
      return json(res, 200, { models: FAKE_MODELS });
    case 'POST /api/chat':
      return chat(res, body);
    case 'POST /v1/chat/completions':
      return openaiChat(res, body);
    case 'GET /':
    case 'HEAD /':
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      return res.end('Ollama is running');
    default:
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('404 page not found');
  }
}

function chat(res, body) {
  const model = body.model ?? 'llama3';
  if (!Array.isArray(body.messages)) {
    // Ollama answers a chat without messages with a load-only "done" reply; the test never sends one.
    return json(res, 400, { error: 'messages are required' });
  }
  const now = () => new Date().toISOString();
  // Ollama streams unless told "stream": false.
  if (body.stream === false) {
    const c = FAKE_COUNTS.chat;
    return json(res, 200, {
      model,
      created_at: now(),
      message: { role: 'assistant', content: FAKE_REPLY },
      done: true,
      done_reason: 'stop',
      ...durations(FAKE_DURATIONS.chat, c),
    });
  }
  const c = FAKE_COUNTS.chatStream;
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  for (const piece of STREAM_PIECES) {
    res.write(`${JSON.stringify({ model, created_at: now(), message: { role: 'assistant', content: piece }, done: false })}\n`);
  }
  res.end(
    `${JSON.stringify({
      model,
      created_at: now(),
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      ...durations(FAKE_DURATIONS.chatStream, c),
    })}\n`,
  );
}

/** The counts and durations of a final chunk, in Ollama's order. */
function durations(d, c) {
  return {
    total_duration: d.total,
    load_duration: d.load,
    prompt_eval_count: c.prompt,
    prompt_eval_duration: d.promptEval,
    eval_count: c.completion,
    eval_duration: d.eval,
  };
}

function openaiChat(res, body) {
  const model = body.model ?? 'llama3';
  const c = FAKE_COUNTS.openai;
  const id = `chatcmpl-${Math.floor(Math.random() * 1000)}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = { prompt_tokens: c.prompt, completion_tokens: c.completion, total_tokens: c.prompt + c.completion };
  if (!body.stream) {
    return json(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_ollama',
      choices: [{ index: 0, message: { role: 'assistant', content: FAKE_REPLY }, finish_reason: 'stop' }],
      usage,
    });
  }
  // Server-sent events as Ollama's OpenAI layer sends them; usage only when stream_options.include_usage.
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  const chunk = (delta, finish) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_ollama',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  STREAM_PIECES.forEach((p, i) => res.write(`data: ${JSON.stringify(chunk({ role: 'assistant', content: p }, i === STREAM_PIECES.length - 1 ? 'stop' : null))}\n\n`));
  if (body.stream_options?.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_ollama', choices: [], usage })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

function json(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
