using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using OllamaQuota.Core.Hosting;
using OllamaQuota.Core.Models;
using OllamaQuota.Core.Tokens;
using OllamaQuota.Proxy.Routing;

namespace OllamaQuota.Proxy.Requests;

/// <summary>
/// Reads just enough of a request body: the model, whether it streams, the completion maximum, and the prompt's
/// size in tokens for the reservation. Wrong types, and model names Ollama would not take or storage not hold, are
/// refused before anything is charged or forwarded.
/// </summary>
public static class RequestParser
{
    /// <summary>
    /// From this bound on (the counted text's UTF-8 bytes plus the chat overheads), the prompt is reserved as its bound
    /// instead of its exact count. Below it the exact count costs little: at the tokenizer's ~70 MB/s, 4 KiB take
    /// ~60 µs, a third of a plain YARP request's whole CPU time (~180 µs), while 16 KiB would take ~230 µs, more than
    /// all of it. Above it the cost grows with the prompt (100 KB ~1.4 ms, 1 MB ~14 ms) and the bound is worth its
    /// price: a larger hold while the request runs (Tokens/README.md, "Exact count or bound").
    /// </summary>
    public const int PromptBoundFromBytes = 4 * 1024;

    /// <param name="root">The root of a body <see cref="StrictJson"/> accepted: all its text can be read.</param>
    public static (ParsedRequest? Request, RequestError? Error) Parse(ProxyEndpoint endpoint, JsonElement root, string defaultModel)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Fail("The request body must be a JSON object.", null);
        }

        // 1. The model: missing or empty means the default model.
        var model = defaultModel;
        var defaulted = true;
        if (root.TryGetProperty("model", out var modelElement) && modelElement.ValueKind != JsonValueKind.Null)
        {
            if (modelElement.ValueKind != JsonValueKind.String)
            {
                return Fail("'model' must be a string.", "model");
            }

            if (modelElement.GetString() is { Length: > 0 } named)
            {
                if (!ModelName.IsValid(named))
                {
                    return Fail($"'model' must be {ModelName.Requirement}.", "model");
                }

                model = named;
                defaulted = false;
            }
        }

        // 2. Streaming.
        var stream = endpoint.StreamsByDefault;
        if (root.TryGetProperty("stream", out var streamElement) && streamElement.ValueKind != JsonValueKind.Null)
        {
            if (streamElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Fail("'stream' must be true or false.", "stream");
            }

            stream = streamElement.GetBoolean();
        }

        // 3. The prompt, validated and bounded from its size; counted exactly unless it is large (see PromptBoundFromBytes);
        // and the client's completion maximum.
        var bound = new PromptCounter(exact: false);
        if (CountPrompt(endpoint, root, bound) is { } error)
        {
            return (null, error);
        }

        var promptIsBound = bound.Tokens >= PromptBoundFromBytes;
        var promptTokens = promptIsBound ? bound.Tokens : CountPromptExactly(endpoint, root);

        var (maximum, field, limitError) = endpoint.Style == ApiStyle.Ollama ? NumPredict(root) : MaxTokens(root);
        if (limitError is not null)
        {
            return (null, limitError);
        }

        var (wantsUsage, usageError) = endpoint.Style == ApiStyle.OpenAi ? IncludeUsage(root) : (false, null);
        if (usageError is not null)
        {
            return (null, usageError);
        }

        var proxyAsksUsage = endpoint.Kind is EndpointKind.ChatCompletions or EndpointKind.Completions && stream && !wantsUsage;
        return (new ParsedRequest(model, defaulted, stream, promptTokens, maximum, field, proxyAsksUsage) { PromptIsBound = promptIsBound }, null);
    }

    /// <summary>
    /// The prompt's exact cl100k count, as the quotas charge it, of a body <see cref="Parse"/> accepted. The pipeline
    /// calls it for a prompt given as a bound, where the bound could decide otherwise than the count (near a limit) and
    /// where the count is charged (Ollama reported none).
    /// </summary>
    public static long CountPromptExactly(ProxyEndpoint endpoint, JsonElement root)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var counter = new PromptCounter(exact: true);
        CountPrompt(endpoint, root, counter);
        return counter.Tokens;
    }

    private static RequestError? CountPrompt(ProxyEndpoint endpoint, JsonElement root, PromptCounter counter) => endpoint.Kind switch
    {
        EndpointKind.Generate => counter.Strings(root, "prompt", "system", "suffix"),
        EndpointKind.Chat or EndpointKind.ChatCompletions => counter.Messages(root) ?? counter.Json(root, "tools"),
        EndpointKind.Embed or EndpointKind.Embeddings => counter.Input(root, "input"),
        EndpointKind.LegacyEmbeddings => counter.Strings(root, "prompt"),
        EndpointKind.Completions => counter.Input(root, "prompt"),
        _ => null,
    };

    private static (long? Maximum, CompletionLimitField Field, RequestError? Error) NumPredict(JsonElement root)
    {
        if (!root.TryGetProperty("options", out var options) || options.ValueKind == JsonValueKind.Null)
        {
            return (null, CompletionLimitField.NumPredict, null);
        }

        if (options.ValueKind != JsonValueKind.Object)
        {
            return (null, CompletionLimitField.NumPredict, new RequestError("'options' must be an object.", "options"));
        }

        var (value, error) = WholeNumber(options, "num_predict", "options.num_predict");

        // Ollama reads -1 as "no limit" and -2 as "fill the context": neither is a maximum.
        return (value is < 0 ? null : value, CompletionLimitField.NumPredict, error);
    }

    private static (long? Maximum, CompletionLimitField Field, RequestError? Error) MaxTokens(JsonElement root)
    {
        var (completion, completionError) = WholeNumber(root, "max_completion_tokens", "max_completion_tokens");
        if (completionError is not null || completion is not null)
        {
            return (completion, CompletionLimitField.MaxCompletionTokens, completionError);
        }

        var (max, maxError) = WholeNumber(root, "max_tokens", "max_tokens");
        return (max, CompletionLimitField.MaxTokens, maxError);
    }

    private static (bool WantsUsage, RequestError? Error) IncludeUsage(JsonElement root)
    {
        if (!root.TryGetProperty("stream_options", out var options) || options.ValueKind == JsonValueKind.Null)
        {
            return (false, null);
        }

        if (options.ValueKind != JsonValueKind.Object)
        {
            return (false, new RequestError("'stream_options' must be an object.", "stream_options"));
        }

        return options.TryGetProperty("include_usage", out var include) && include.ValueKind != JsonValueKind.Null
            ? include.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? (include.GetBoolean(), null)
                : (false, new RequestError("'stream_options.include_usage' must be true or false.", "stream_options"))
            : (false, null);
    }

    private static (long? Value, RequestError? Error) WholeNumber(JsonElement parent, string property, string name)
    {
        if (!parent.TryGetProperty(property, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value)
            ? (value, null)
            : (null, new RequestError($"'{name}' must be a whole number.", name));
    }

    private static (ParsedRequest?, RequestError?) Fail(string message, string? param) => (null, new RequestError(message, param));

    /// <summary>
    /// Adds up the prompt's tokens as the fields are validated: exactly, with the tokenizer; or as a bound, from the
    /// text's size alone. The bound is never below the exact count: a cl100k token stands for at least one UTF-8 byte
    /// of the text it encodes, so text has at most as many tokens as bytes; a string's raw JSON is at least as long as
    /// its UTF-8 (an escape is never shorter than what it stands for: <c>\n</c> is 2 bytes for 1, <c>\u00e9</c> 6 for
    /// 2, a surrogate pair's two escapes 12 for 4); parts counted as one text add up their bytes; token ids and the
    /// per-message overheads are the same numbers in both. StrictJson has already refused invalid UTF-8 and lone
    /// surrogates, the only text whose tokenizer input (U+FFFD, 3 bytes) could outgrow its raw bytes.
    /// </summary>
    private sealed class PromptCounter(bool exact)
    {
        public long Tokens { get; private set; }

        public RequestError? Strings(JsonElement root, params string[] names)
        {
            foreach (var name in names)
            {
                if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (element.ValueKind != JsonValueKind.String)
                {
                    return new RequestError($"'{name}' must be a string.", name);
                }

                Tokens += Count(element);
            }

            return null;
        }

        /// <summary>A string, an array of strings, or (OpenAI) pre-tokenised arrays of token ids.</summary>
        public RequestError? Input(JsonElement root, string name)
        {
            if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    Tokens += Count(element);
                    return null;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        switch (item.ValueKind)
                        {
                            case JsonValueKind.String:
                                Tokens += Count(item);
                                break;
                            case JsonValueKind.Number:
                                Tokens++;
                                break;
                            case JsonValueKind.Array when item.EnumerateArray().All(id => id.ValueKind == JsonValueKind.Number):
                                Tokens += item.GetArrayLength();
                                break;
                            default:
                                return new RequestError($"'{name}' must be a string or an array of strings.", name);
                        }
                    }

                    return null;
                default:
                    return new RequestError($"'{name}' must be a string or an array of strings.", name);
            }
        }

        /// <summary>Chat messages: role and content (a string, or OpenAI's array of parts), counted as OpenAI documents.</summary>
        public RequestError? Messages(JsonElement root)
        {
            if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (messages.ValueKind != JsonValueKind.Array)
            {
                return new RequestError("'messages' must be an array of message objects.", "messages");
            }

            // Counted as Cl100kTokenizer.CountChatTokens does (per message: its overhead, role, content, and name with
            // its overhead; then the reply priming), straight from the JSON so that no string is made of the prompt.
            var tokenizer = Cl100kTokenizer.Instance;
            long chat = Cl100kTokenizer.ReplyPrimingTokens;
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Object)
                {
                    return new RequestError("'messages' must be an array of message objects.", "messages");
                }

                if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                {
                    return new RequestError("Every message needs a 'role' string.", "messages");
                }

                chat += Cl100kTokenizer.TokensPerMessage + Count(role);
                if (message.TryGetProperty("content", out var contentElement))
                {
                    switch (contentElement.ValueKind)
                    {
                        case JsonValueKind.String:
                            chat += Count(contentElement);
                            break;
                        case JsonValueKind.Array:
                            var texts = contentElement.EnumerateArray()
                                .Where(part => part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                                .Select(part => part.GetProperty("text"));
                            chat += exact ? tokenizer.CountTokens(string.Concat(texts.Select(text => text.GetString()))) : texts.Sum(Bound);
                            break;
                        case JsonValueKind.Null:
                            break;
                        default:
                            return new RequestError("A message's 'content' must be a string or an array of parts.", "messages");
                    }
                }

                if (message.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                {
                    chat += Cl100kTokenizer.TokensPerName + Count(name);
                }
            }

            Tokens += chat;
            return null;
        }

        /// <summary>Structured fields such as tool definitions reach the model as text; their JSON is a fair estimate.</summary>
        public RequestError? Json(JsonElement root, string name)
        {
            if (root.TryGetProperty(name, out var element) && element.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
            {
                Tokens += exact ? Cl100kTokenizer.Instance.CountTokens(element.GetRawText()) : JsonMarshal.GetRawUtf8Value(element).Length;
            }

            return null;
        }

        private int Count(JsonElement text) => exact ? CountExactly(text) : Bound(text);

        /// <summary>A JSON string's raw bytes between its quotes: at least its UTF-8 bytes, so at least its tokens.</summary>
        private static int Bound(JsonElement text) => JsonMarshal.GetRawUtf8Value(text).Length - 2;

        /// <summary>
        /// A JSON string's tokens. One without escapes (nearly every prompt) is counted from its UTF-8 bytes through a
        /// pooled buffer, so that a 100 KB prompt does not become a 200 KB string on the large-object heap; the
        /// count is the same as that of the string.
        /// </summary>
        private static int CountExactly(JsonElement text)
        {
            var value = JsonMarshal.GetRawUtf8Value(text)[1..^1];
            if (value.IndexOf((byte)'\\') >= 0)
            {
                return Cl100kTokenizer.Instance.CountTokens(text.GetString());
            }

            var chars = ArrayPool<char>.Shared.Rent(value.Length);
            try
            {
                return Cl100kTokenizer.Instance.CountTokens(chars.AsSpan(0, Encoding.UTF8.GetChars(value, chars)));
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }
    }
}
