using System.Text;
using System.Text.Json;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// Reads a response as a client that returns the moment it holds the whole answer, without waiting for the body to
/// end: the <c>done:true</c> line of an NDJSON stream, the <c>data: [DONE]</c> event of an SSE stream, the last byte of
/// a JSON body's value.
/// </summary>
public static class AnswerReader
{
    /// <summary>The answer as far as it was read; throws if the body ends before the answer is whole.</summary>
    public static async Task<string> ReadUntilAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var read = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var count = await body.ReadAsync(buffer, cancellationToken);
            if (count == 0)
            {
                throw new IOException($"The body ended before the answer was whole: {Encoding.UTF8.GetString(read.ToArray())}");
            }

            read.Write(buffer, 0, count);
            var text = Encoding.UTF8.GetString(read.ToArray());
            if (IsWhole(mediaType, text))
            {
                return text;
            }
        }
    }

    /// <summary>Whether <paramref name="text"/>, the start of a body of <paramref name="mediaType"/>, holds the whole answer.</summary>
    public static bool IsWhole(string? mediaType, string text) => mediaType switch
    {
        "application/x-ndjson" => text.Split('\n').SkipLast(1).Any(line => line.Contains("\"done\":true", StringComparison.Ordinal)),
        "text/event-stream" => text.Contains("data: [DONE]\n\n", StringComparison.Ordinal),
        _ => IsJsonValue(text),
    };

    private static bool IsJsonValue(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
