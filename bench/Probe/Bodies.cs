using System.Text;
using System.Text.Json;

namespace OllamaQuota.Bench.Probe;

/// <summary>
/// The request bodies of the four scenarios, and the non-streamed OpenAI one of the soak's mix. None states a
/// completion maximum, as most clients do not, so the proxy takes its usual path: it writes the allowance into the
/// body (and, on the OpenAI stream, asks for the usage chunk and removes it again, since the client did not ask for it).
/// </summary>
public static class Bodies
{
    private static readonly string[] Words =
    [
        "the", "quota", "proxy", "counts", "tokens", "before", "a", "request", "reaches", "Ollama", "and", "settles",
        "after", "it", "streams", "back", "every", "key", "has", "daily", "monthly", "limits", "in", "Europe/Berlin",
        "time", "zone", "which", "reset", "at", "midnight", "so", "that", "nobody", "can", "generate", "past", "their",
        "budget", "while", "administrators", "see", "usage", "per", "model", "endpoint", "status", "latency", "2026",
        "11", "22", "retry-after", "429", "JSON", "NDJSON", "server-sent", "events", "don't", "we're", "it's",
    ];

    public static int Write(string directory)
    {
        Directory.CreateDirectory(directory);
        const string Question = "Why is the sky blue? Answer in one short paragraph.";
        Save(directory, "chat-small.json", new { model = "llama3", stream = false, messages = new[] { new { role = "user", content = Question } } });
        Save(directory, "chat-stream.json", new { model = "llama3", stream = true, messages = new[] { new { role = "user", content = Question } } });
        Save(directory, "sse.json", new { model = "llama3", stream = true, messages = new[] { new { role = "user", content = Question } } });
        Save(directory, "openai.json", new { model = "llama3", stream = false, messages = new[] { new { role = "user", content = Question } } });
        Save(directory, "chat-100k.json", Document(100 * 1024));

        // bench/growth.sh's prompt sizes.
        foreach (var (name, kilobytes) in new[] { ("1k", 1), ("10k", 10), ("1m", 1024) })
        {
            Save(directory, $"chat-{name}.json", Document(kilobytes * 1024));
        }

        return 0;
    }

    /// <summary>A non-streamed chat asking to summarise a document of about <paramref name="bytes"/> bytes.</summary>
    private static object Document(int bytes) => new
    {
        model = "llama3",
        stream = false,
        messages = new[]
        {
            new { role = "system", content = "You summarise documents." },
            new { role = "user", content = Prose(bytes) },
        },
    };

    /// <summary>Deterministic English-like text of about <paramref name="bytes"/> bytes: words, punctuation, line breaks.</summary>
    private static string Prose(int bytes)
    {
        var random = new Random(20261122);
        var text = new StringBuilder(bytes + 64);
        var sentence = 0;
        while (text.Length < bytes)
        {
            var word = Words[random.Next(Words.Length)];
            text.Append(sentence == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            sentence++;
            if (sentence > 6 && random.Next(8) == 0)
            {
                text.Append(random.Next(5) == 0 ? ".\n\n" : ". ");
                sentence = 0;
            }
            else
            {
                text.Append(random.Next(12) == 0 ? ", " : " ");
            }
        }

        return text.ToString();
    }

    private static void Save(string directory, string name, object body) =>
        File.WriteAllBytes(Path.Combine(directory, name), JsonSerializer.SerializeToUtf8Bytes(body));
}
