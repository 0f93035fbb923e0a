using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// Reads a request body as one JSON object, bounded by <see cref="AdminOptions.MaxBodyBytes"/>. Handlers validate
/// fields themselves so that each error names its field and an absent field can be told from an explicit null.
/// The Content-Type is not checked: curl's -d sends form-urlencoded, and the bearer header already rules out
/// cross-site form posts.
/// </summary>
internal static class JsonBody
{
    public static async Task<(JsonElement Body, ProblemHttpResult? Error)> ReadObjectAsync(
        HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return (default, TooLarge(maxBytes));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, 16 * 1024));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > maxBytes)
                    {
                        return (default, TooLarge(maxBytes));
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > maxBytes)
            {
                return (default, TooLarge(maxBytes));
            }

            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (default, Problem(StatusCodes.Status400BadRequest, "Invalid body", "The body must be a JSON object."));
            }

            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (default, Problem(StatusCodes.Status400BadRequest, "Malformed JSON", $"The body is not valid JSON: {e.Message}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, TooLarge(maxBytes));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ProblemHttpResult TooLarge(int maxBytes) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body is larger than {maxBytes} bytes.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
