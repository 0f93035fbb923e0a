using System.Runtime.InteropServices;
using System.Text.Json;
using OllamaQuota.Core.Settings;
using OllamaQuota.Proxy.Routing;

namespace OllamaQuota.Proxy.Requests;

/// <summary>
/// Holds a parsed request to the admin's <see cref="Guardrails"/>: on Ollama's routes the keep-alive is capped and an
/// unload refused, num_ctx held to its rule and load-time options dropped; on the routes that take images (Ollama's
/// generate and chat, OpenAI's chat completions) their number and size are limited. Ollama's OpenAI compatibility reads
/// neither keep_alive nor options, so only images count there.
/// </summary>
public static class RequestGuardrails
{
    public static (BodyChanges? Changes, GuardrailRefusal? Refusal) Apply(ProxyEndpoint endpoint, JsonElement root, ParsedRequest request, Guardrails rules)
    {
        // 1. Images, where a route takes them.
        if ((rules.MaxImagesPerRequest is not null || rules.MaxImageBytes is not null) && CheckImages(endpoint, root, rules) is { } imageRefusal)
        {
            return (null, imageRefusal);
        }

        if (endpoint.Style != ApiStyle.Ollama || !endpoint.Metered)
        {
            return (null, null);
        }

        // 2. keep_alive: 0 unloads the model for everyone; longer than the maximum (or forever) is capped.
        long? keepAlive = null;
        if (root.TryGetProperty("keep_alive", out var keepAliveElement) && keepAliveElement.ValueKind != JsonValueKind.Null)
        {
            var seconds = OllamaDuration.Seconds(keepAliveElement);
            if (seconds is null)
            {
                return (null, Bad($"'keep_alive' must be {OllamaDuration.Requirement}.", "keep_alive"));
            }

            if (seconds == 0)
            {
                return (null, new GuardrailRefusal(StatusCodes.Status403Forbidden,
                    "'keep_alive' 0 unloads the model for every caller of this Ollama; API keys may not unload models.", "keep_alive", "unload_not_allowed"));
            }

            if (rules.MaxKeepAliveSeconds is { } max && (seconds < 0 || seconds > max))
            {
                keepAlive = max;
            }
        }

        // 3. options: num_ctx to its rule, load-time options out (the parser has checked that options is an object or null).
        var options = root.TryGetProperty("options", out var optionsElement) && optionsElement.ValueKind == JsonValueKind.Object ? optionsElement : default;
        long? numCtx = null;
        if (rules.NumCtx.For(request.Model) is { } rule)
        {
            if (rule.Fixed is { } fixedSize)
            {
                numCtx = fixedSize;
            }
            else if (options.ValueKind == JsonValueKind.Object && options.TryGetProperty("num_ctx", out var asked) && asked.ValueKind != JsonValueKind.Null)
            {
                if (asked.ValueKind != JsonValueKind.Number || !asked.TryGetDouble(out var size))
                {
                    return (null, Bad("'options.num_ctx' must be a whole number.", "options.num_ctx"));
                }

                numCtx = size > rule.Max ? rule.Max : null;
            }
        }

        var dropLoad = options.ValueKind == JsonValueKind.Object && options.EnumerateObject().Any(Guardrails.IsLoadTimeOption);
        var changes = new BodyChanges(keepAlive, numCtx, dropLoad);
        return (changes.IsEmpty ? null : changes, null);
    }

    private static GuardrailRefusal? CheckImages(ProxyEndpoint endpoint, JsonElement root, Guardrails rules)
    {
        var images = new List<int>();
        string param;
        switch (endpoint.Kind)
        {
            case EndpointKind.Generate:
                param = "images";
                if (!CollectBase64(root, images))
                {
                    return Bad("'images' must be an array of base64 strings.", param);
                }

                break;
            case EndpointKind.Chat or EndpointKind.ChatCompletions when root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array:
                param = "messages";
                foreach (var message in messages.EnumerateArray())
                {
                    var ok = endpoint.Kind == EndpointKind.Chat ? CollectBase64(message, images) : CollectImageParts(message, images);
                    if (!ok)
                    {
                        return Bad(endpoint.Kind == EndpointKind.Chat
                            ? "A message's 'images' must be an array of base64 strings."
                            : "An 'image_url' part must hold a URL string or {\"url\": \"…\"}.", param);
                    }
                }

                break;
            default:
                return null;
        }

        if (rules.MaxImagesPerRequest is { } maxCount && images.Count > maxCount)
        {
            return Bad($"The request has {images.Count} images; at most {maxCount} are allowed per request.", param);
        }

        if (rules.MaxImageBytes is { } maxBytes && images.FindIndex(length => length > maxBytes) is var at and >= 0)
        {
            return Bad($"Image {at + 1} is {images[at]} bytes of base64; at most {maxBytes} are allowed per image.", param);
        }

        return null;
    }

    /// <summary>Ollama's <c>images</c>: an array of base64 strings on the request or a chat message.</summary>
    private static bool CollectBase64(JsonElement parent, List<int> images)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty("images", out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var image in list.EnumerateArray())
        {
            if (image.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            images.Add(Length(image, 0));
        }

        return true;
    }

    /// <summary>OpenAI's image parts: <c>{"type":"image_url","image_url":{"url":"data:image/png;base64,…"}}</c> (or the URL as a string).</summary>
    private static bool CollectImageParts(JsonElement message, List<int> images)
    {
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return true;
        }

        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || !type.ValueEquals("image_url"))
            {
                continue;
            }

            var url = part.TryGetProperty("image_url", out var image) && image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var inner) ? inner : image;
            if (url.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            // A data URL's size is its base64 payload's, after the comma.
            var raw = JsonMarshal.GetRawUtf8Value(url);
            var comma = raw.IndexOf((byte)',');
            images.Add(Length(url, raw.StartsWith("\"data:"u8) && comma > 0 ? comma : 0));
        }

        return true;
    }

    /// <summary>A string's length in characters (base64 is ASCII, so in bytes) after <paramref name="skip"/> raw bytes (the quote included).</summary>
    private static int Length(JsonElement text, int skip)
    {
        var raw = JsonMarshal.GetRawUtf8Value(text);
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return raw.Length - 2 - Math.Max(0, skip);
        }

        // Escapes (a '\/' from some encoders) make the raw text longer than the string: measure the string.
        var value = text.GetString()!;
        var comma = skip > 0 ? value.IndexOf(',', StringComparison.Ordinal) + 1 : 0;
        return value.Length - comma;
    }

    private static GuardrailRefusal Bad(string message, string param) => new(StatusCodes.Status400BadRequest, message, param, null);
}
