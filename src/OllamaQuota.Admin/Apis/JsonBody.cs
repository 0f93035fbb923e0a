using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using OllamaQuota.Core.Hosting;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// Reads a request body as one JSON object, bounded by <see cref="AdminOptions.MaxBodyBytes"/> and held to
/// <see cref="StrictJson"/>, so that reading any of its text cannot throw. Handlers validate fields themselves so
/// that each error names its field and an absent field can be told from an explicit null. The Content-Type is not
/// checked: curl's -d sends form-urlencoded, and the bearer header already rules out cross-site form posts.
/// </summary>
internal static class JsonBody
{
    private static async Task<(JsonElement Body, ProblemHttpResult? Error)> ReadObjectAsync(
        HttpRequest request, int maxBytes, bool optional, CancellationToken cancellationToken)
    {
        using var body = await BoundedBody.ReadAsync(request, maxBytes, cancellationToken);
        if (body is null)
        {
            return (default, Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body is larger than {maxBytes} bytes."));
        }

        if (optional && body.Length == 0)
        {
            return (JsonElement.Parse("{}"), null);
        }

        var (document, invalid) = StrictJson.Parse(body.Memory);
        if (document is null)
        {
            return (default, Problem(StatusCodes.Status400BadRequest, "Malformed JSON", invalid!));
        }

        using (document)
        {
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (default, Problem(StatusCodes.Status400BadRequest, "Invalid body", "The body must be a JSON object."));
        }
    }

    /// <summary>The body's fields, every property not in <c>knownFields</c> already an error.</summary>
    public static Task<(JsonFields? Fields, ProblemHttpResult? Error)> ReadFieldsAsync(
        HttpRequest request, int maxBytes, IEnumerable<string> knownFields, CancellationToken cancellationToken) =>
        ReadFieldsAsync(request, maxBytes, knownFields, optional: false, cancellationToken);

    /// <summary>As <see cref="ReadFieldsAsync(HttpRequest, int, IEnumerable{string}, CancellationToken)"/>, an empty body read as no fields.</summary>
    public static Task<(JsonFields? Fields, ProblemHttpResult? Error)> ReadOptionalFieldsAsync(
        HttpRequest request, int maxBytes, IEnumerable<string> knownFields, CancellationToken cancellationToken) =>
        ReadFieldsAsync(request, maxBytes, knownFields, optional: true, cancellationToken);

    private static async Task<(JsonFields? Fields, ProblemHttpResult? Error)> ReadFieldsAsync(
        HttpRequest request, int maxBytes, IEnumerable<string> knownFields, bool optional, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadObjectAsync(request, maxBytes, optional, cancellationToken);
        if (error is not null)
        {
            return (null, error);
        }

        var fields = new JsonFields(body);
        fields.RejectUnknown(knownFields);
        return (fields, null);
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
