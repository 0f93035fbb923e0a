using System.Net;
using OllamaQuota.Core.Redis;

namespace OllamaQuota.Tests.Redis;

public sealed class RedisUrlTests
{
    public static TheoryData<string, string, int, string?, string?, int?, bool> ValidStrings => new()
    {
        // value, host, port, user, password, database, tls
        { "redis://localhost", "localhost", 6379, null, null, null, false },
        { "redis://localhost:6380", "localhost", 6380, null, null, null, false },
        { "redis://localhost:6380/", "localhost", 6380, null, null, null, false },
        { "redis://cache.internal:7000/3", "cache.internal", 7000, null, null, 3, false },
        { "redis://:s3cret@redis", "redis", 6379, null, "s3cret", null, false },
        { "redis://:p%40ss%2Fw0rd@redis:6379/1", "redis", 6379, null, "p@ss/w0rd", 1, false },
        { "redis://:p@ss@redis", "redis", 6379, null, "p@ss", null, false },
        { "redis://quota:pw@10.0.0.5:6379/2", "10.0.0.5", 6379, "quota", "pw", 2, false },
        { "REDIS://Host:1", "Host", 1, null, null, null, false },
        { "rediss://:pw@secure.example.com:6380", "secure.example.com", 6380, null, "pw", null, true },
        { "redis://[::1]:6390/4", "::1", 6390, null, null, 4, false },
        { "redis://localhost:6379/0?protocol=3", "localhost", 6379, null, null, 0, false },
        { "  redis://localhost  ", "localhost", 6379, null, null, null, false },
        { "localhost:6379", "localhost", 6379, null, null, null, false },
        { "localhost:33123,password=abc=def", "localhost", 33123, null, "abc=def", null, false },
        { "redis.cache:6380,password=pw,ssl=True,abortConnect=False,user=app,defaultDatabase=5", "redis.cache", 6380, "app", "pw", 5, true },
        { "host:1,unknownOption=whatever,allowAdmin=true", "host", 1, null, null, null, false },
    };

    public static TheoryData<string, string> MalformedStrings => new()
    {
        // value, fragment the message must contain
        { "", "is empty" },
        { "   ", "is empty" },
        { "http://:hunter2@localhost:6379", "unsupported scheme 'http'" },
        { "redis://:hunter2@", "has no host" },
        { "redis://:hunter2@localhost:notaport", "port 'notaport'" },
        { "redis://:hunter2@localhost:70000", "port '70000'" },
        { "redis://:hunter2@localhost:6379/abc", "database 'abc'" },
        { "redis://:hunter2@localhost:6379/-1", "database '-1'" },
        { "redis://hunter2@localhost", "user info without a ':'" },
        { "redis://admin:@localhost", "names a user but no password" },
        { "redis://:hunter2@::1:6379", "not in brackets" },
        { "redis://:hunter2@[::1:6379", "closing ']'" },
        { "password=hunter2,ssl=true", "names no host" },
        { "localhost:6379,password=hunter2,ssl=maybe", "cannot be read" },
        { "localhost:6379,password=hunter2,defaultDatabase=x", "cannot be read" },
    };

    [Theory]
    [MemberData(nameof(ValidStrings))]
    public void Parse_ValidString_ReadsEveryPart(string value, string host, int port, string? user, string? password, int? database, bool tls)
    {
        var options = RedisUrl.Parse(value, RedisConfiguration.Variable);

        var endpoint = Assert.Single(options.EndPoints);
        Assert.Equal((host, port), endpoint switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => throw new InvalidOperationException($"unexpected endpoint {endpoint}"),
        });
        Assert.Equal(user, options.User);
        Assert.Equal(password, options.Password);
        Assert.Equal(database, options.DefaultDatabase);
        Assert.Equal(tls, options.Ssl);
    }

    [Theory]
    [MemberData(nameof(MalformedStrings))]
    public void Parse_MalformedString_ThrowsNamingRedisUrlWithoutPassword(string value, string fragment)
    {
        var error = Assert.Throws<FormatException>(() => RedisUrl.Parse(value, RedisConfiguration.Variable));

        Assert.StartsWith("REDIS_URL ", error.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CustomSettingName_NamesItInErrors()
    {
        var error = Assert.Throws<FormatException>(() => RedisUrl.Parse("redis://", RedisConfiguration.AspireVariable));

        Assert.StartsWith("ConnectionStrings__redis ", error.Message, StringComparison.Ordinal);
    }
}
