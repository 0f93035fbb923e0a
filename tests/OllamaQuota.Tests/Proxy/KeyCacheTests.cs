using System.Data.Common;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Proxy;

public sealed class KeyCacheTests
{
    [Fact]
    public async Task Chat_BurstWithAKeyNotYetCached_LooksTheKeyUpOnce()
    {
        var lookups = new KeyLookupCounter();
        await using var proxy = await ProxyHost.StartAsync(
            DatabaseKind.PostgreSql,
            services: s => s.ConfigureDbContext<QuotaDbContext>(options => options.AddInterceptors(lookups)));
        var (_, key) = await proxy.CreateKeyAsync();
        lookups.KeyHash = ApiKeySecret.Hash(key);
        using var client = proxy.ClientFor(key);

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.PostAsync("/api/chat", new StringContent(
            """{"model":"llama3","messages":[{"role":"user","content":"hi"}],"stream":false}""", Encoding.UTF8, "application/json"))));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(1, lookups.Count);
    }

    /// <summary>Counts the queries that carry one key hash as a parameter: the proxy's lookups of that key.</summary>
    private sealed class KeyLookupCounter : DbCommandInterceptor
    {
        private int _count;

        public string? KeyHash { get; set; }

        public int Count => Volatile.Read(ref _count);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (command.Parameters.Cast<DbParameter>().Any(parameter => Equals(parameter.Value, KeyHash)))
            {
                Interlocked.Increment(ref _count);
            }

            return ValueTask.FromResult(result);
        }
    }
}
