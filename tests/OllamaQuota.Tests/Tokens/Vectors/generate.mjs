// Regenerates cl100k_vectors.json from the npm `tiktoken` reference (version pinned in package.json).
// Usage: npm ci && node generate.mjs
// Every case is checked id for id by Cl100kTokenizerVectorTests. Large inputs (checked by
// Cl100kTokenizerLargeInputTests) are stored as a count plus the SHA-256 of the ids (little-endian
// int32) so the file stays small; C# rebuilds the same text from the same generator.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { get_encoding } from "tiktoken";

const enc = get_encoding("cl100k_base");
const tiktokenVersion = JSON.parse(
  readFileSync(new URL("./node_modules/tiktoken/package.json", import.meta.url), "utf8")).version;

const encode = (text, allowSpecial) =>
  Array.from(allowSpecial ? enc.encode(text, "all") : enc.encode(text, [], []));

// The same 32-bit LCG is implemented in C# (Cl100kVectors.cs); keep the two in step.
function* lcg(seed) {
  let state = seed >>> 0;
  for (;;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    yield state;
  }
}

function randomLetters(seed, length) {
  const alphabet = "abcdefghijklmnopqrstuvwxyz";
  const rng = lcg(seed);
  let s = "";
  while (s.length < length) s += alphabet[(rng.next().value >>> 16) % alphabet.length];
  return s;
}

function fragmentText(seed, fragments, minLength) {
  const rng = lcg(seed);
  const parts = [];
  let length = 0;
  while (length < minLength) {
    const f = fragments[(rng.next().value >>> 16) % fragments.length];
    parts.push(f);
    length += f.length;
  }
  return parts.join("");
}

// Every code point (surrogate code units excluded), each followed by a fixed separator pattern, so
// that every \p{L}/\p{N}/\s decision of the pre-tokeniser shows up in the ids.
function codePointSweep(from, to, step) {
  const parts = [];
  for (let cp = from; cp <= to; cp += step) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    parts.push(String.fromCodePoint(cp), cp % 3 === 0 ? " " : cp % 3 === 1 ? "x" : "1");
  }
  return parts.join("");
}

const idsSha256 = (ids) => {
  const buf = Buffer.alloc(ids.length * 4);
  ids.forEach((id, i) => buf.writeInt32LE(id, i * 4));
  return createHash("sha256").update(buf).digest("hex");
};

const mixedFragments = [
  "The quick brown fox jumps over the lazy dog. ",
  "It's what they'VE said, and we'll SEE; I'd've thought so.\n",
  "Größere Straßen führen über Brücken; Fußgänger grüßen höflich. ",
  "我们今天去公园散步，天气非常好。",
  "東京は日本の首都です。カタカナとひらがな。",
  "안녕하세요, 반갑습니다! ",
  "Emoji 👍🏽 and 👨‍👩‍👧‍👦 plus 🇩🇪 ❤️ ",
  "public sealed class Foo { public int Bar(int x) => x * 42; }\n",
  "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n",
  "{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\"}}\r\n",
  "    \t  \n\n   ",
  "1234567890 42 3.14159 1,000,000 ",
  "e\u0301 n\u0303 a\u0308 Z\u0324\u0308a\u0327l\u0328g\u0323o\u0324 ",
  "<|endoftext|>",
  "--- *** === ... ??? !!! ",
  "ÀÉÎÕÜ àéîõü ÇçÑñ œŒ æÆ ",
  "Привет, мир! Как дела? ",
  "مرحبا بالعالم ",
  "नमस्ते दुनिया ",
  "\r\n",
  "https://example.com/path?query=1&x=y#frag ",
];

const prose = "The quick brown fox jumps over the lazy dog. It's a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. \"Quoted\" (parenthesised) [bracketed] {braced} — em dash – en dash … ellipsis.";

const cases = [
  ["empty", ""],
  ["single_space", " "],
  ["single_letter", "a"],
  ["ascii_prose", prose],
  ["ascii_punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ !! ?? ... ,,, ;; :: -- __ == ++ ** // \\\\ ||"],
  ["german", "Größenwahn ist keine Straße: Die Bäume blühen, Fußgänger grüßen Öl und Übermaß. GROSSE ẞ Äpfel Ölförderung."],
  ["cjk_chinese", "我们今天去公园散步，天气非常好。人工智能正在改变世界。"],
  ["cjk_japanese", "東京は日本の首都です。カタカナとひらがなを混ぜて書きます。ｶﾀｶﾅ"],
  ["cjk_korean", "안녕하세요, 반갑습니다! 오늘 날씨가 좋네요."],
  ["emoji", "👋🌍 Hello 😀😃😄 👍 👍🏽 🇩🇪🇺🇸 ❤️ ✨ 🤖"],
  ["emoji_zwj", "👨‍👩‍👧‍👦 family 🏳️‍🌈 flag 👩🏽‍💻 coder 🧑‍🤝‍🧑 people 👁️‍🗨️"],
  ["combining_marks", "e\u0301 n\u0303 a\u0308\u0304 Z\u0324\u0308a\u0327l\u0328g\u0323o\u0324 \u0301\u0302 x\u0336y\u0336 हिन्दी ไทย"],
  ["code_csharp", "namespace Demo;\n\npublic sealed class Counter\n{\n    private int _count;\n\n    public int Increment() => Interlocked.Increment(ref _count);\n\n    public override string ToString() => $\"Count = {_count}\";\n}\n"],
  ["code_python", "import os\n\ndef main(argv: list[str]) -> int:\n    \"\"\"Entry point.\"\"\"\n    for i, arg in enumerate(argv):\n        print(f\"{i}: {arg!r}\")\n    return 0\n\nif __name__ == \"__main__\":\n    raise SystemExit(main(os.sys.argv))\n"],
  ["code_json", "{\n  \"model\": \"llama3.2\",\n  \"messages\": [{\"role\": \"user\", \"content\": \"Hi!\"}],\n  \"options\": {\"temperature\": 0.7, \"num_ctx\": 8192, \"stop\": [\"\\n\\n\"]},\n  \"stream\": false\n}"],
  ["whitespace_runs", "a  b   c    d\t\te \t \t f\u00A0g\u3000h\u2003i      j   \n   k \n\n\n  l          "],
  ["whitespace_only", "   \t\t  \n \u00A0 "],
  ["trailing_spaces", "hello world     "],
  ["newlines", "a\nb\n\nc\n\n\nd\n \n \ne\n"],
  ["crlf", "line1\r\nline2\r\n\r\n  indented\r\n\tTab\r\r\n\n\r end\r\n"],
  ["crlf_after_punct", "end.\r\n!?\r\n\r\n; \r\n"],
  ["numbers_1_to_10_digits", "1 12 123 1234 12345 123456 1234567 12345678 123456789 1234567890"],
  ["numbers_attached", "abc123def 0x1F 3.14159 1e-10 2026-11-22 12:34:56 $1,234.56 100% v2.0.1"],
  ["numbers_unicode", "١٢٣٤٥ ۱۲۳ १२३४ １２３４ Ⅻ ⅷ ²³¹ ½ ① ❶"],
  ["contractions_lower", "it's I'm we're they've he'll she'd don't won't y'all 's 't 're 've 'm 'll 'd"],
  ["contractions_upper", "IT'S I'M WE'RE THEY'VE HE'LL SHE'D DON'T 'S 'T 'RE 'VE 'M 'LL 'D"],
  ["contractions_mixed_case", "'Ll 'lL 'Re 'rE 'Ve 'vE 'S 's 'sound 'Sound 'LLama x'ſ 'ſt"],
  ["apostrophe_variants", "it’s ‘quoted’ ''double'' ' s '' ' 'x '1 ''s"],
  ["special_disallowed", "<|endoftext|>Hello<|fim_prefix|>a<|fim_middle|>b<|fim_suffix|>c<|endofprompt|> end"],
  ["special_allowed", "<|endoftext|>Hello<|fim_prefix|>a<|fim_middle|>b<|fim_suffix|>c<|endofprompt|> end", true],
  ["special_allowed_edges", "hello <|endoftext|> world<|endoftext|><|endoftext|>  \n<|endofprompt|>", true],
  ["special_allowed_partial", "<|endoftext|<|endoftext|><|fim_prefix|<|endof", true],
  ["special_allowed_none_present", "plain text without specials <| |> <|x|>", true],
  ["lone_high_surrogate", "a\uD800b"],
  ["lone_low_surrogate", "a\uDC00b"],
  ["lone_surrogates_mixed", "\uDC00\uD800 x\uD83D 😀\uD83D😀 \uDE00y \uD800\uD800\uDC00"],
  ["lone_surrogate_at_end", "text ends badly \uD83D"],
  ["lone_surrogate_special_allowed", "\uD800<|endoftext|>\uDC00", true],
  ["replacement_char", "\uFFFD a\uFFFDb"],
  ["control_chars", "\u0000\u0001\u0007\b\u001b[31mred\u001b[0m\u007f\u0085\u2028\u2029"],
  ["mixed_scripts", "Привет, мир! Ελληνικά. مرحبا بالعالم. שלום עולם. Ṫḧïṡ ïṡ ẅëïṙḋ. ǅungla"],
  ["urls_and_paths", "https://example.com/a/b?c=d&e=f#g C:\\Users\\me\\file.txt /usr/local/bin ~/.config"],
  ["long_run_letter_a", "a".repeat(3000)],
  ["long_run_spaces", " ".repeat(3000)],
  ["long_run_spaces_then_word", " ".repeat(2500) + "word"],
  ["long_run_dashes", "-".repeat(2000)],
  ["long_run_newlines", "\n".repeat(1000)],
  ["long_run_digits", "9".repeat(3001)],
  ["long_run_cjk", "字".repeat(2000)],
  ["long_random_letters", randomLetters(7, 5000)],
  ["long_random_letters_upper", randomLetters(11, 3000).toUpperCase()],
  ["long_run_emoji", "😀".repeat(500)],
];

const out = { tiktoken: tiktokenVersion, encoding: "cl100k_base", cases: [], hashed: [], chat: [] };

for (const [name, text, allowSpecial = false] of cases) {
  const entry = { name, allowSpecial };
  // System.Text.Json rejects lone-surrogate escapes, so such text travels as UTF-16 code units.
  if (text.isWellFormed()) entry.text = text;
  else entry.utf16 = Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
  entry.ids = encode(text, allowSpecial);
  out.cases.push(entry);
}

const hashedInputs = [
  { name: "mixed_1mb", kind: "fragments", seed: 20261122, minLength: 1 << 20, fragments: mixedFragments },
  { name: "bmp_sweep", kind: "sweep", from: 0, to: 0xffff, step: 1 },
  { name: "astral_sweep", kind: "sweep", from: 0x10000, to: 0x10ffff, step: 17 },
];
for (const h of hashedInputs) {
  const text = h.kind === "fragments"
    ? fragmentText(h.seed, h.fragments, h.minLength)
    : codePointSweep(h.from, h.to, h.step);
  const ids = encode(text, false);
  out.hashed.push({ ...h, length: text.length, count: ids.length, sha256: idsSha256(ids) });
}

// OpenAI's documented accounting for cl100k chat models: 3 tokens per message, +1 when a name is
// present, +3 to prime the assistant's reply.
const chatCount = (messages) => 3 + messages.reduce((sum, m) =>
  sum + 3 + encode(m.role, false).length + encode(m.content, false).length
    + (m.name === undefined ? 0 : 1 + encode(m.name, false).length), 0);

const chats = [
  ["empty", []],
  ["single_user", [{ role: "user", content: "Hello!" }]],
  ["openai_cookbook_example", [
    { role: "system", content: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English." },
    { role: "system", name: "example_user", content: "New synergies will help drive top-line growth." },
    { role: "system", name: "example_assistant", content: "Things working well together will increase revenue." },
    { role: "system", name: "example_user", content: "Let's circle back when we have more time to touch base on opportunities for increased leverage." },
    { role: "system", name: "example_assistant", content: "Let's talk later when we're less busy about how to do better." },
    { role: "user", content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
  ]],
  ["multilingual", [
    { role: "system", content: "Antworte auf Deutsch." },
    { role: "user", content: "Wie groß ist die Straße? 我们 👍🏽" },
    { role: "assistant", content: "" },
  ]],
];
for (const [name, messages] of chats) out.chat.push({ name, messages, count: chatCount(messages) });

enc.free();
// One id array per line keeps the file small and its diffs readable.
const json = JSON.stringify(out, null, 1).replace(/\[\n[\d,\s]*\]/g, (m) => m.replace(/\s+/g, ""));
writeFileSync(new URL("./cl100k_vectors.json", import.meta.url), json + "\n");
console.log(`wrote ${out.cases.length} cases, ${out.hashed.length} hashed, ${out.chat.length} chat`);
for (const h of out.hashed) console.log(`  ${h.name}: ${h.length} UTF-16 units, ${h.count} tokens, ${h.sha256}`);
for (const c of out.chat) console.log(`  chat ${c.name}: ${c.count}`);
