using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OllamaQuota.Tests.Infrastructure;

/// <summary>
/// A stand-in for Ollama on a free loopback port, speaking its wire formats: NDJSON streams ending in a
/// <c>done:true</c> chunk with <c>prompt_eval_count</c>/<c>eval_count</c>, and OpenAI-style SSE on /v1 with
/// <c>data: [DONE]</c> and the <c>include_usage</c> chunk. Only the upstream LLM is faked; everything in front of it
/// is real. The final chunk (and an <c>/api/embed</c> answer) carries Ollama's durations in nanoseconds, as the constants
/// below say. The model name picks a behaviour: "slow", "broken" (dies mid-stream), "error" (500), "missing" (404),
/// "nocounts" (no counts and no durations on the final chunk). Every request it receives is kept for assertions, and the
/// most it was answering at once is counted (<see cref="MaxInFlight"/>).
/// </summary>
/// <remarks>
/// <see cref="ResponseEnd"/> holds a generation's response open after its last document, as the window between
/// Ollama writing its final chunk and ending the response, where a client already holds its whole answer.
/// </remarks>
public sealed class FakeOllama : IAsyncDisposable
{
    public const string Version = "0.12.3";

    /// <summary>What every generation reports as its prompt size.</summary>
    public const int PromptEvalCount = 12;

    /// <summary>How many tokens a generation produces when nothing caps it.</summary>
    public const int DefaultCompletionTokens = 20;

    /// <summary>Nanoseconds, as Ollama reports them: a warm model's load (really the wait for its runner).</summary>
    public const long LoadDurationNs = 4_000_000;

    /// <summary>Reading the prompt: 2.5 ms per prompt token.</summary>
    public const long PromptEvalDurationNs = PromptEvalCount * 2_500_000L;

    /// <summary>Generating: 20 ms per token (50 tokens/s).</summary>
    public const long EvalDurationNsPerToken = 20_000_000;

    /// <summary>What total_duration adds beyond load, prompt and generation (templating, sampling, the HTTP side).</summary>
    public const long OverheadNs = 1_250_000;

    /// <summary>An <c>/api/embed</c> answer's total_duration (it reports load_duration too, and no eval durations).</summary>
    public const long EmbedTotalDurationNs = 35_000_000;

    /// <summary>The total_duration of a generation of <paramref name="tokens"/> tokens.</summary>
    public static long TotalDurationNs(int tokens) => LoadDurationNs + PromptEvalDurationNs + tokens * EvalDurationNsPerToken + OverheadNs;

    private readonly WebApplication _app;
    private int _aborted;
    private int _inFlight;
    private int _maxInFlight;

    private FakeOllama(WebApplication app)
    {
        _app = app;
    }

    public string Url { get; private set; } = "";

    /// <summary>
    /// Each request with a body: its path, parsed body, Authorization header (which must never arrive) and all the
    /// headers that did arrive.
    /// </summary>
    public ConcurrentQueue<(string Path, JsonObject? Body, string? Authorization, IReadOnlyDictionary<string, string> Headers)> Requests { get; } = new();

    /// <summary>Each GET request: its path, the headers that arrived and how many body bytes came with it.</summary>
    public ConcurrentQueue<(string Path, IReadOnlyDictionary<string, string> Headers, long BodyBytes)> Gets { get; } = new();

    /// <summary>
    /// What every generation's response (streamed or not) waits for once its last document is written and flushed,
    /// before it ends; completed unless a test holds the ends back.
    /// </summary>
    public Task ResponseEnd { get; set; } = Task.CompletedTask;

    /// <summary>
    /// What every request with a body waits for once received, before any answer: completed unless a test holds its
    /// requests in flight.
    /// </summary>
    public Task ResponseStart { get; set; } = Task.CompletedTask;

    /// <summary>Generations that ended because the caller went away.</summary>
    public int Aborted => Volatile.Read(ref _aborted);

    /// <summary>The most POST requests (generations, embeddings) that were being answered at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Delay between streamed chunks.</summary>
    public TimeSpan ChunkDelay { get; set; } = TimeSpan.Zero;

    public static async Task<FakeOllama> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeOllama(app);
        fake.Map(app);
        await app.StartAsync();
        fake.Url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return fake;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (HttpMethods.IsGet(context.Request.Method))
            {
                await ReceiveGetAsync(context);
            }

            if (!HttpMethods.IsPost(context.Request.Method))
            {
                await next(context);
                return;
            }

            var inFlight = Interlocked.Increment(ref _inFlight);
            for (var max = Volatile.Read(ref _maxInFlight); inFlight > max; max = Volatile.Read(ref _maxInFlight))
            {
                Interlocked.CompareExchange(ref _maxInFlight, inFlight, max);
            }

            try
            {
                await next(context);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        });

        app.MapGet("/api/version", (HttpContext c) =>
        {
            // A cookie the proxy must not pass on: it would be set for the proxy's origin, shared by every caller.
            c.Response.Headers.SetCookie = "ollama-session=1; Path=/";
            return Results.Json(new { version = Version });
        });
        app.MapGet("/api/tags", () => Results.Json(new
        {
            models = new[]
            {
                new { name = "llama3:latest", model = "llama3:latest", size = 4_661_224_676L, modified_at = "2026-11-01T10:00:00Z" },
                new { name = "qwen2.5:0.5b", model = "qwen2.5:0.5b", size = 397_821_319L, modified_at = "2026-11-02T10:00:00Z" },
            },
        }));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = new[]
            {
                new { id = "llama3:latest", @object = "model", owned_by = "library" },
                new { id = "qwen2.5:0.5b", @object = "model", owned_by = "library" },
            },
        }));
        app.MapGet("/v1/models/{**model}", (string model) => Results.Json(new { id = model, @object = "model", owned_by = "library" }));
        app.MapPost("/api/show", async (HttpContext c) => { await ReceiveAsync(c); return Results.Json(new { modelfile = "FROM llama3", details = new { family = "llama" } }); });
        app.MapPost("/api/generate", (HttpContext c) => GenerateAsync(c, chat: false));
        app.MapPost("/api/chat", (HttpContext c) => GenerateAsync(c, chat: true));
        app.MapPost("/api/embed", async (HttpContext c) =>
        {
            var body = await ReceiveAsync(c);
            return Scenario(body) is { } failure
                ? failure
                : Results.Json(new
                {
                    model = Model(body), embeddings = new[] { new[] { 0.1, 0.2 } },
                    total_duration = EmbedTotalDurationNs, load_duration = LoadDurationNs, prompt_eval_count = 7,
                });
        });
        app.MapPost("/api/embeddings", async (HttpContext c) =>
        {
            var body = await ReceiveAsync(c);
            return Scenario(body) is { } failure ? failure : Results.Json(new { embedding = new[] { 0.1, 0.2 } });
        });
        app.MapPost("/v1/embeddings", async (HttpContext c) =>
        {
            var body = await ReceiveAsync(c);
            return Results.Json(new { @object = "list", data = new[] { new { @object = "embedding", index = 0, embedding = new[] { 0.1 } } }, model = Model(body), usage = new { prompt_tokens = 9, total_tokens = 9 } });
        });
        app.MapPost("/v1/chat/completions", (HttpContext c) => OpenAiAsync(c, chat: true));
        app.MapPost("/v1/completions", (HttpContext c) => OpenAiAsync(c, chat: false));
    }

    private async Task<JsonObject?> ReceiveAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Requests.Enqueue((context.Request.Path.Value!, body, context.Request.Headers.Authorization.FirstOrDefault(), headers));
        if (Model(body) == "hang")
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
        }

        await ResponseStart.WaitAsync(context.RequestAborted);
        return body;
    }

    private async Task ReceiveGetAsync(HttpContext context)
    {
        var request = context.Request;
        var framed = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        var bytes = 0L;
        if (framed)
        {
            var buffer = new byte[4096];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                bytes += read;
            }
        }

        Gets.Enqueue((request.Path.Value!, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), bytes));
    }

    /// <summary>The response's last document is out; the response ends when <see cref="ResponseEnd"/> lets it.</summary>
    private async Task HoldEndAsync(HttpContext context)
    {
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await ResponseEnd.WaitAsync(context.RequestAborted);
    }

    private static string Model(JsonObject? body) => body?["model"]?.GetValue<string>() ?? "";

    private static IResult? Scenario(JsonObject? body) => Model(body) switch
    {
        "error" => Results.Json(new { error = "boom" }, statusCode: 500),
        "missing" => Results.Json(new { error = "model 'missing' not found, try pulling it first" }, statusCode: 404),
        _ => null,
    };

    private static int Completion(JsonObject? body, string field)
    {
        var cap = field == "num_predict" ? body?["options"]?["num_predict"] : body?[field] ?? body?["max_completion_tokens"];
        return cap is null ? DefaultCompletionTokens : Math.Min(DefaultCompletionTokens, cap.GetValue<int>());
    }

    private async Task GenerateAsync(HttpContext context, bool chat)
    {
        var body = await ReceiveAsync(context);
        if (Scenario(body) is { } failure)
        {
            await failure.ExecuteAsync(context);
            return;
        }

        var model = Model(body);
        var tokens = Completion(body, "num_predict");
        var stream = body?["stream"]?.GetValue<bool>() ?? true;
        object Chunk(string text, bool done)
        {
            var final = done && model != "nocounts";
            var document = new JsonObject { ["model"] = model, ["created_at"] = "2026-11-22T10:00:00Z" };
            document[chat ? "message" : "response"] = chat ? new JsonObject { ["role"] = "assistant", ["content"] = text } : text;
            document["done"] = done;
            if (final)
            {
                // The fields and their order of Ollama's final chunk.
                document["done_reason"] = "stop";
                document["total_duration"] = TotalDurationNs(tokens);
                document["load_duration"] = LoadDurationNs;
                document["prompt_eval_count"] = PromptEvalCount;
                document["prompt_eval_duration"] = PromptEvalDurationNs;
                document["eval_count"] = tokens;
                document["eval_duration"] = tokens * EvalDurationNsPerToken;
            }

            return document;
        }

        if (!stream)
        {
            await context.Response.WriteAsJsonAsync(Chunk(string.Concat(Enumerable.Repeat(" tok", tokens)), done: true));
            await HoldEndAsync(context);
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        await StreamAsync(context, model, tokens, i => JsonSerializer.Serialize(Chunk(" tok", done: false)) + "\n",
            () => JsonSerializer.Serialize(Chunk("", done: true)) + "\n");
    }

    private async Task OpenAiAsync(HttpContext context, bool chat)
    {
        var body = await ReceiveAsync(context);
        if (Scenario(body) is { } failure)
        {
            await failure.ExecuteAsync(context);
            return;
        }

        var model = Model(body);
        var tokens = Completion(body, "max_tokens");
        var usage = new { prompt_tokens = PromptEvalCount, completion_tokens = tokens, total_tokens = PromptEvalCount + tokens };
        var created = 1_763_800_000L;
        if (body?["stream"]?.GetValue<bool>() != true)
        {
            object choice = chat
                ? new { index = 0, message = new { role = "assistant", content = string.Concat(Enumerable.Repeat(" tok", tokens)) }, finish_reason = "stop" }
                : new { index = 0, text = string.Concat(Enumerable.Repeat(" tok", tokens)), finish_reason = "stop" };
            await context.Response.WriteAsJsonAsync(new { id = "chatcmpl-1", @object = chat ? "chat.completion" : "text_completion", created, model, choices = new[] { choice }, usage });
            await HoldEndAsync(context);
            return;
        }

        var includeUsage = body?["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        context.Response.ContentType = "text/event-stream";
        string Event(object data) => $"data: {JsonSerializer.Serialize(data)}\n\n";
        object Delta(string text, string? finish = null) => chat
            ? new { id = "chatcmpl-1", @object = "chat.completion.chunk", created, model, choices = new[] { new { index = 0, delta = new { role = "assistant", content = text }, finish_reason = finish } } }
            : new { id = "cmpl-1", @object = "text_completion", created, model, choices = new[] { new { index = 0, text, finish_reason = finish } } };
        await StreamAsync(context, model, tokens, _ => Event(Delta(" tok")), () =>
            Event(Delta("", "stop"))
            + (includeUsage ? Event(new { id = "chatcmpl-1", @object = "chat.completion.chunk", created, model, choices = Array.Empty<object>(), usage }) : "")
            + "data: [DONE]\n\n");
    }

    private async Task StreamAsync(HttpContext context, string model, int tokens, Func<int, string> chunk, Func<string> end)
    {
        var aborted = context.RequestAborted;
        var delay = model == "slow" ? TimeSpan.FromMilliseconds(100) : ChunkDelay;
        try
        {
            for (var i = 0; i < tokens; i++)
            {
                if (model == "broken" && i == 2)
                {
                    // Die mid-stream: the connection drops without the chunked terminator. The pause lets the
                    // chunks already sent be read first; a reset discards whatever the peer has not read yet.
                    await Task.Delay(200, aborted);
                    context.Abort();
                    return;
                }

                await context.Response.WriteAsync(chunk(i), Encoding.UTF8, aborted);
                await context.Response.Body.FlushAsync(aborted);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, aborted);
                }
            }

            await context.Response.WriteAsync(end(), Encoding.UTF8, aborted);
            await HoldEndAsync(context);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref _aborted);
        }
    }
}
