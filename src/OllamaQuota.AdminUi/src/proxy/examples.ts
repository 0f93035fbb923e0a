import type { ProxyInfo } from '../api/types';

/** Stands in for a real key in every example: real keys are never put on this page. */
export const KEY_PLACEHOLDER = 'sk-your-api-key';

export interface Example {
  id: string;
  language: string;
  code: string;
}

const trimSlash = (s: string) => s.replace(/\/+$/, '');

/**
 * The examples shown on the proxy page: the server's own (e.g. `curl`) first,
 * then SDK snippets built from the base URLs.
 */
export function buildExamples(info: ProxyInfo, model: string): Example[] {
  const base = trimSlash(info.base_url);
  const openai = trimSlash(info.openai_base_url || `${base}/v1`);
  const m = JSON.stringify(model);

  const built: Example[] = [
    {
      id: 'curl',
      language: 'bash',
      code: `curl ${base}/api/chat \\
  -H "Authorization: Bearer ${KEY_PLACEHOLDER}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": ${m}, "messages": [{"role": "user", "content": "Hello!"}], "stream": false}'`,
    },
    {
      id: 'curl_openai',
      language: 'bash',
      code: `curl ${openai}/chat/completions \\
  -H "Authorization: Bearer ${KEY_PLACEHOLDER}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": ${m}, "messages": [{"role": "user", "content": "Hello!"}]}'`,
    },
    {
      id: 'python_openai',
      language: 'python',
      code: `# pip install openai
from openai import OpenAI

client = OpenAI(base_url="${openai}", api_key="${KEY_PLACEHOLDER}")

reply = client.chat.completions.create(
    model=${m},
    messages=[{"role": "user", "content": "Hello!"}],
)
print(reply.choices[0].message.content)`,
    },
    {
      id: 'js_openai',
      language: 'javascript',
      code: `// npm install openai
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: '${openai}', apiKey: '${KEY_PLACEHOLDER}' });

const reply = await client.chat.completions.create({
  model: ${m.replace(/"/g, "'")},
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(reply.choices[0].message.content);`,
    },
    {
      id: 'python_ollama',
      language: 'python',
      code: `# pip install ollama
from ollama import Client

client = Client(host="${base}", headers={"Authorization": "Bearer ${KEY_PLACEHOLDER}"})

reply = client.chat(model=${m}, messages=[{"role": "user", "content": "Hello!"}])
print(reply["message"]["content"])`,
    },
    {
      id: 'js_ollama',
      language: 'javascript',
      code: `// npm install ollama
import { Ollama } from 'ollama';

const ollama = new Ollama({
  host: '${base}',
  headers: { Authorization: 'Bearer ${KEY_PLACEHOLDER}' },
});

const reply = await ollama.chat({
  model: ${m.replace(/"/g, "'")},
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(reply.message.content);`,
    },
  ];

  // The server's examples win over ours with the same name; unknown ones are appended.
  const fromServer = Object.entries(info.examples ?? {}).filter(([, code]) => typeof code === 'string' && code.trim());
  const byId = new Map(built.map((e) => [e.id, e]));
  for (const [id, code] of fromServer) {
    const existing = byId.get(id);
    if (existing) existing.code = code;
    else byId.set(id, { id, language: id.includes('python') ? 'python' : id.includes('js') ? 'javascript' : 'bash', code });
  }
  return [...byId.values()];
}
