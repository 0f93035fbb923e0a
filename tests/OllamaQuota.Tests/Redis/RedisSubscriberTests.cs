using System.Collections.Concurrent;
using OllamaQuota.Core.Redis;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Redis;

public sealed class RedisSubscriberTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SubscribeAsync_MessagePublished_DeliversToEveryHandlerOfTheChannel()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await using var subscriber = new RedisSubscriber(options);
        var first = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = new ConcurrentBag<string>();

        await subscriber.SubscribeAsync("keys:invalidate", message => first.TrySetResult(message));
        await subscriber.SubscribeAsync("keys:invalidate", message => second.TrySetResult(message));
        await subscriber.SubscribeAsync("other", other.Add);
        var receivers = await redis.PublishAsync("keys:invalidate", "key-42 ünïcode");

        Assert.Equal(1, receivers);
        Assert.Equal("key-42 ünïcode", await first.Task.WaitAsync(Wait));
        Assert.Equal("key-42 ünïcode", await second.Task.WaitAsync(Wait));
        Assert.Empty(other);
    }

    [Fact]
    public async Task SubscribeAsync_HandlerThrows_OtherHandlersStillRun()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await using var subscriber = new RedisSubscriber(options);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        await subscriber.SubscribeAsync("c", _ => throw new InvalidOperationException("boom"));
        await subscriber.SubscribeAsync("c", message => received.TrySetResult(message));
        await redis.PublishAsync("c", "one");
        await redis.PublishAsync("c", "two");

        Assert.Equal("one", await received.Task.WaitAsync(Wait));
        Assert.True(subscriber.IsConnected);
    }

    [Fact]
    public async Task SubscribeAsync_ServerRestarted_ResubscribesAndDeliversAgain()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await using var subscriber = new RedisSubscriber(options);
        var messages = new BlockingCollection<string>();
        await subscriber.SubscribeAsync("invalidate", messages.Add);
        await redis.PublishAsync("invalidate", "before");
        Assert.True(messages.TryTake(out var before, Wait));
        Assert.Equal("before", before);

        await server.RestartAsync();

        // PUBLISH answers with the number of receivers: 1 proves the subscriber is subscribed again.
        await RedisConnectionResilienceTests.EventuallyAsync(async () =>
            await redis.PublishAsync("invalidate", "probe") == 1 ? true : throw new InvalidOperationException("not resubscribed yet"));
        await redis.PublishAsync("invalidate", "after");

        var received = new List<string>();
        while (messages.TryTake(out var message, Wait))
        {
            received.Add(message);
            if (message == "after")
            {
                break;
            }
        }

        Assert.Equal("after", received[^1]);
    }

    [Fact]
    public async Task UnsubscribeAsync_AfterwardsPublished_HandlerNotCalled()
    {
        await using var server = await RedisServerFixture.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await using var subscriber = new RedisSubscriber(options);
        var calls = 0;
        await subscriber.SubscribeAsync("gone", _ => Interlocked.Increment(ref calls));

        await subscriber.UnsubscribeAsync("gone");

        await RedisConnectionResilienceTests.EventuallyAsync(async () =>
            await redis.PublishAsync("gone", "x") == 0 ? true : throw new InvalidOperationException("still subscribed"));
        Assert.Equal(0, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task SubscribeAsync_ServerDown_ThrowsWithinTimeout()
    {
        await using var server = await RedisServerFixture.StartAsync();
        await server.StopAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.CommandTimeout = TimeSpan.FromMilliseconds(300);
        await using var subscriber = new RedisSubscriber(options);

        await Assert.ThrowsAsync<RedisConnectionException>(() => subscriber.SubscribeAsync("c", _ => { }));
    }
}
