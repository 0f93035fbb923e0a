using System.Buffers;
using System.Text.Json;
using OllamaQuota.Core.Models;
using OllamaQuota.Proxy.Routing;

namespace OllamaQuota.Proxy.Access;

/// <summary>
/// Takes the models a key may not use out of Ollama's model lists: <c>/api/tags</c> (<c>models[].name</c>) and
/// <c>/v1/models</c> (<c>data[].id</c>). Every other property is copied as it came.
/// </summary>
public static class ModelListFilter
{
    /// <summary>The list without the models <paramref name="access"/> refuses; null when the body is not such a list.</summary>
    public static byte[]? Filter(EndpointKind kind, ReadOnlyMemory<byte> json, ModelAccess access)
    {
        var (listName, nameProperty) = kind == EndpointKind.Tags ? ("models", "name") : ("data", "id");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(listName, out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var output = new ArrayBufferWriter<byte>(json.Length);
            using (var writer = new Utf8JsonWriter(output))
            {
                writer.WriteStartObject();
                foreach (var property in root.EnumerateObject())
                {
                    if (!property.NameEquals(listName))
                    {
                        property.WriteTo(writer);
                        continue;
                    }

                    writer.WriteStartArray(listName);
                    foreach (var model in list.EnumerateArray().Where(model => IsAllowed(model, nameProperty, access)))
                    {
                        model.WriteTo(writer);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
            }

            return output.WrittenSpan.ToArray();
        }
    }

    private static bool IsAllowed(JsonElement model, string nameProperty, ModelAccess access)
    {
        if (model.ValueKind != JsonValueKind.Object || !model.TryGetProperty(nameProperty, out var name) || name.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        try
        {
            return access.Allows(name.GetString()!);
        }
        catch (InvalidOperationException)
        {
            // A name that is not Unicode text (an escaped lone surrogate) names no model the key may use; reading it
            // throws, as ResponseMeter finds too.
            return false;
        }
    }
}
