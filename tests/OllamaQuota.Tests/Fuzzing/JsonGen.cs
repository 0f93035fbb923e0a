using System.Globalization;
using System.Text;
using CsCheck;

namespace OllamaQuota.Tests.Fuzzing;

/// <summary>
/// Generators of JSON text as hostile or careless clients and upstreams write it: mostly well-formed, with known
/// field names holding right and wrong types, strings full of escapes (lone surrogates among them), numbers beyond
/// every range, nesting around the depth limit, repeated keys; then, at the byte level, stray and invalid UTF-8.
/// Every generator yields JSON text as a string whose characters are all valid Unicode, so UTF-8 encodes it exactly;
/// invalidity is written as escapes or added by <see cref="Mutated"/>.
/// </summary>
internal static class JsonGen
{
    public static readonly string[] ModelNames =
    [
        "llama3", "qwen2.5:0.5b", "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "library/llama3:latest",
        "localhost:5000/team/m:v1", "slow", "a", "_x", "m@sha256:0123abcd",
    ];

    private static readonly string[] FieldNames =
    [
        "model", "stream", "prompt", "system", "suffix", "messages", "role", "content", "name", "text", "type", "tools",
        "input", "options", "num_predict", "max_tokens", "max_completion_tokens", "stream_options", "include_usage",
        "format", "images", "keep_alive", "temperature", "done", "response", "message", "thinking", "tool_calls",
        "prompt_eval_count", "eval_count", "error", "usage", "prompt_tokens", "completion_tokens", "choices", "delta",
        "embeddings", "embedding", "data", "ollama_url", "default_model", "expires_at", "daily_tokens",
        "monthly_tokens", "daily_requests", "monthly_requests",
    ];

    /// <summary>Pieces of a string's content, already in JSON form.</summary>
    private static readonly Gen<string> StringPiece = Gen.Frequency(
        (8, Gen.Char["abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.:/_-@+"].Array[0, 12].Select(c => new string(c))),
        (3, Gen.Char['\u00A0', '\uD7FF'].Array[1, 4].Select(c => new string(c))),
        (1, Gen.Char['\uE000', '\uFFFD'].Array[1, 3].Select(c => new string(c))),
        (2, Gen.OneOf<string>("😀", "👩‍👩‍👧", "𝄞", "é", "漢字", "\u0301", "Ω")),
        (3, Gen.OneOf<string>("\\n", "\\t", "\\r", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\u0000", "\\u001F", "\\u00e9", "\\u20AC", "\\\\ud800")),
        (2, Gen.OneOf<string>("\\ud83d\\ude00", "\\uD834\\uDD1E", "\\uDBFF\\uDFFF")),
        (2, Gen.OneOf<string>("\\ud800", "\\uDFFF", "\\udc00\\ud800", "\\ud800\\ud800", "\\ud83d", "\\ude00x", "\\uD800\\u0041")),
        (1, Gen.Int[100, 3000].Select(n => new string('x', n))));

    public static readonly Gen<string> String =
        StringPiece.Array[0, 6].Select(pieces => "\"" + string.Concat(pieces) + "\"");

    public static readonly Gen<string> Number = Gen.Frequency(
        (4, Gen.Int[-3, 10_000].Select(n => Text(n))),
        (2, Gen.Long.Select(Text)),
        (1, Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (3, Gen.OneOf<string>("1e400", "-1e400", "99999999999999999999", "-9223372036854775809", "9223372036854775807",
            "-0", "0.0", "1E2", "1.5", "-1", "-2", "8192", "2147483648", "1e-400", "0e0")));

    private static readonly Gen<string> Scalar = Gen.Frequency(
        (1, Gen.OneOf<string>("null", "true", "false")),
        (2, Number),
        (3, String));

    /// <summary>Any JSON value, nested a few levels, with now and then a run of brackets around the depth limit.</summary>
    public static readonly Gen<string> Value = Gen.Recursive<string>((depth, value) => depth >= 4
        ? Scalar
        : Gen.Frequency(
            (6, Scalar),
            (2, value.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (2, Member(value).Array[0, 5].Select(Object)),
            (1, Gen.Int[55, 70].Select(n => new string('[', n) + new string(']', n)))));

    public static readonly Gen<string> ModelValue = Gen.Frequency(
        (6, Gen.OneOf(ModelNames).Select(Quote)),
        (1, Gen.OneOf<string>("\"\"", "null", "42", "\"llama 3\"", "\"../x\"", "\"a\\u0000\"", "\"m:\"", "\":t\"", "\"a//b\"")),
        (1, Gen.Int[78, 210].Select(n => Quote(new string('m', n)))),
        (2, String));

    private static readonly Gen<string> Message = Gen.Select(
        Gen.OneOf<string>("user", "assistant", "system", "tool").Select(Quote),
        Gen.Frequency(
            (4, String),
            (1, Gen.Const("null")),
            (2, Gen.Select(String, Value, (text, other) => $$"""[{"type":"text","text":{{text}}},{{other}}]""")),
            (1, Value)),
        Gen.Bool,
        String,
        (role, content, named, name) => named ? $$"""{"role":{{role}},"content":{{content}},"name":{{name}}}""" : $$"""{"role":{{role}},"content":{{content}}}""");

    private static readonly Gen<string> Input = Gen.Frequency(
        (3, String),
        (2, String.Array[0, 3].Select(Array)),
        (1, Number.Array[0, 4].Select(Array)),
        (1, Number.Array[0, 3].Array[0, 2].Select(rows => Array(rows.Select(Array).ToArray()))),
        (1, Value));

    /// <summary>A member of a request body: a known field with a plausible value, or with anything.</summary>
    private static readonly Gen<string> RequestMember = Gen.Frequency(
        (4, ModelValue.Select(v => Pair("model", v))),
        (2, Gen.OneOf<string>("true", "false", "null", "\"false\"", "1").Select(v => Pair("stream", v))),
        (3, Gen.Select(Gen.OneOf<string>("prompt", "system", "suffix"), String, Pair)),
        (3, Message.Array[0, 4].Select(m => Pair("messages", Array(m)))),
        (2, Input.Select(v => Pair("input", v))),
        (2, Gen.Select(Gen.OneOf<string>("num_predict", "temperature", "num_ctx", "num_gpu", "use_mmap", "numa", "main_gpu"), Number, Pair).Array[0, 3]
            .Select(options => Pair("options", Object(options)))),
        (2, Gen.Frequency((2, Number), (2, Gen.OneOf<string>("\"5m\"", "\"1h30m\"", "\"-1\"", "\"0s\"", "\"300ms\"", "\"5\"", "\"1.5h\"")), (1, Value))
            .Select(v => Pair("keep_alive", v))),
        (1, Gen.Frequency((3, String.Array[0, 4].Select(Array)), (1, Value)).Select(v => Pair("images", v))),
        (2, Gen.Select(Gen.OneOf<string>("max_tokens", "max_completion_tokens"), Number, Pair)),
        (1, Gen.OneOf<string>("true", "false", "null", "1").Select(v => Pair("stream_options", $$"""{"include_usage":{{v}}}"""))),
        (3, Gen.Select(Gen.OneOf(FieldNames), Value, Pair)),
        (1, Gen.Select(String, Value, (name, value) => name + ":" + value)));

    /// <summary>A request body as a client might send it (not always a valid one).</summary>
    public static readonly Gen<string> RequestBody = Gen.Frequency(
        (12, RequestMember.Array[0, 7].Select(Object)),
        (1, Value));

    /// <summary>An admin body: its known fields with right and wrong values, and others.</summary>
    public static readonly Gen<string> AdminBody = Gen.Frequency(
        (8, Gen.Frequency(
            (3, Gen.Select(Gen.OneOf<string>("name", "ollama_url", "default_model", "contact"), Gen.Frequency(
                (3, String),
                (2, Gen.OneOf<string>("\"http://gpu-box:11434/\"", "\"https://a.b/c\"", "\"team-a\"", "\"llama3\"").Select(v => v)),
                (1, Gen.Int[190, 2100].Select(n => Quote("http://h/" + new string('p', n)))),
                (1, Scalar)), Pair)),
            (2, Gen.Select(Gen.OneOf<string>("daily_tokens", "monthly_tokens", "daily_requests", "monthly_requests"), Scalar, Pair)),
            (2, Gen.Frequency(
                (3, Gen.Frequency((4, ModelValue), (2, Gen.OneOf<string>("\"llama3.2:*\"", "\"*\"", "\"hf.co/*\"", "\"q:*-x\"", "\"a*b\"", "\"library/*\""))).Array[0, 5].Select(Array)),
                (1, Scalar)).Select(v => Pair("allowed_models", v))),
            (2, Gen.Frequency(
                (3, Gen.Select(
                    Gen.OneOf<string>("max", "fixed", "most"),
                    Number,
                    Gen.Frequency((3, Gen.OneOf(ModelNames).Select(Quote)), (1, Gen.OneOf<string>("\"llama3.2:*\"", "\"bad name\"")), (1, String)),
                    (rule, size, model) => Object([Pair("default", Object([Pair(rule, size)])), Pair("models", Object([model + ":" + Object([Pair(rule, size)])]))]))),
                (1, Value)).Select(v => Pair("num_ctx", v))),
            (1, Gen.Frequency(
                (3, Gen.Select(
                    Number,
                    Gen.Frequency((3, Gen.OneOf(ModelNames).Select(Quote)), (1, Gen.OneOf<string>("\"llama3.2:*\"", "\"bad name\"")), (1, String)),
                    (slots, model) => Object([Pair("default", slots), Pair("models", Object([model + ":" + slots]))]))),
                (1, Value)).Select(v => Pair("model_slots", v))),
            (2, Gen.Frequency(
                (2, Gen.OneOf<string>("\"2099-01-31T00:00:00Z\"", "\"9999-12-31T23:59:59-01:00\"", "\"0001-01-01\"", "\"next tuesday\"", "\"2099-02-30\"")),
                (1, Scalar)).Select(v => Pair("expires_at", v))),
            (1, Gen.Select(String, Value, (name, value) => name + ":" + value))).Array[0, 6].Select(Object)),
        (1, Value));

    /// <summary>The text as UTF-8, now and then with bytes inserted, replaced, dropped or cut off.</summary>
    public static Gen<byte[]> Mutated(Gen<string> text) => Gen.Select(
        text,
        Gen.Frequency((3, Gen.Const(0)), (1, Gen.Int[1, 4])),
        Gen.Int.Array[8],
        Gen.Byte.Array[8],
        (json, mutations, positions, bytes) =>
        {
            var body = new List<byte>(Encoding.UTF8.GetBytes(json));
            for (var i = 0; i < mutations; i++)
            {
                var at = (int)((uint)positions[i] % (uint)(body.Count + 1));
                switch ((uint)positions[i + 4] % 4)
                {
                    case 0:
                        body.Insert(at, bytes[i]);
                        break;
                    case 1 when at < body.Count:
                        body[at] = bytes[i];
                        break;
                    case 2 when at < body.Count:
                        body.RemoveAt(at);
                        break;
                    default:
                        body.RemoveRange(at, body.Count - at);
                        break;
                }
            }

            return body.ToArray();
        });

    public static string Quote(string content) => "\"" + content + "\"";

    public static string Pair(string name, string value) => Quote(name) + ":" + value;

    public static string Object(string[] members) => "{" + string.Join(",", members) + "}";

    public static string Array(string[] items) => "[" + string.Join(",", items) + "]";

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static Gen<string> Member(Gen<string> value) => Gen.Select(Gen.Frequency((4, Gen.OneOf(FieldNames).Select(Quote)), (1, String)), value, (n, v) => n + ":" + v);
}
