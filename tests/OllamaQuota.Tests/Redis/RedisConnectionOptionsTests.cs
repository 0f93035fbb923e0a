using OllamaQuota.Core.Redis;

namespace OllamaQuota.Tests.Redis;

public sealed class RedisConnectionOptionsTests
{
    public static TheoryData<string, string, int, string?, string?, int, bool> ValidStrings => new()
    {
        // value, host, port, user, password, database, tls
        { "redis://localhost", "localhost", 6379, null, null, 0, false },
        { "redis://localhost:6380", "localhost", 6380, null, null, 0, false },
        { "redis://localhost:6380/", "localhost", 6380, null, null, 0, false },
        { "redis://cache.internal:7000/3", "cache.internal", 7000, null, null, 3, false },
        { "redis://:s3cret@redis", "redis", 6379, null, "s3cret", 0, false },
        { "redis://:p%40ss%2Fw0rd@redis:6379/1", "redis", 6379, null, "p@ss/w0rd", 1, false },
        { "redis://:p@ss@redis", "redis", 6379, null, "p@ss", 0, false },
        { "redis://quota:pw@10.0.0.5:6379/2", "10.0.0.5", 6379, "quota", "pw", 2, false },
        { "REDIS://Host:1", "Host", 1, null, null, 0, false },
        { "rediss://:pw@secure.example.com:6380", "secure.example.com", 6380, null, "pw", 0, true },
        { "redis://[::1]:6390/4", "::1", 6390, null, null, 4, false },
        { "redis://localhost:6379/0?protocol=3", "localhost", 6379, null, null, 0, false },
        { "  redis://localhost  ", "localhost", 6379, null, null, 0, false },
        { "localhost:6379", "localhost", 6379, null, null, 0, false },
        { "localhost", "localhost", 6379, null, null, 0, false },
        { "localhost:33123,password=abc=def", "localhost", 33123, null, "abc=def", 0, false },
        { "redis.cache:6380,password=pw,ssl=True,abortConnect=False,user=app,defaultDatabase=5", "redis.cache", 6380, "app", "pw", 5, true },
        { "host:1,unknownOption=whatever,allowAdmin=true", "host", 1, null, null, 0, false },
        { "primary:6379,replica:6379,password=pw", "primary", 6379, null, "pw", 0, false },
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
        { "localhost:6379,password=hunter2,ssl=maybe", "ssl='maybe'" },
        { "localhost:6379,password=hunter2,defaultDatabase=x", "database 'x'" },
        { "localhost:abc,password=hunter2", "port 'abc'" },
        { "localhost:6379,password=hunter2,connectTimeout=-5", "connectTimeout='-5'" },
    };

    [Theory]
    [MemberData(nameof(ValidStrings))]
    public void Parse_ValidString_ReadsEveryPart(string value, string host, int port, string? user, string? password, int database, bool tls)
    {
        var options = RedisConnectionOptions.Parse(value);

        Assert.Equal(host, options.Host);
        Assert.Equal(port, options.Port);
        Assert.Equal(user, options.User);
        Assert.Equal(password, options.Password);
        Assert.Equal(database, options.Database);
        Assert.Equal(tls, options.UseTls);
    }

    [Theory]
    [MemberData(nameof(MalformedStrings))]
    public void Parse_MalformedString_ThrowsNamingRedisUrlWithoutPassword(string value, string fragment)
    {
        var error = Assert.Throws<FormatException>(() => RedisConnectionOptions.Parse(value));

        Assert.StartsWith("REDIS_URL ", error.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_StackExchangeOptions_SetsFlagsAndTimeouts()
    {
        var options = RedisConnectionOptions.Parse("h:1,abortConnect=false,connectTimeout=1500,syncTimeout=750,name=proxy-1,sslHost=redis.example");

        Assert.False(options.AbortOnConnectFail);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(750), options.CommandTimeout);
        Assert.Equal("proxy-1", options.ClientName);
        Assert.Equal("redis.example", options.TlsHost);
    }

    [Fact]
    public void Parse_CustomSettingName_NamesItInErrors()
    {
        var error = Assert.Throws<FormatException>(() => RedisConnectionOptions.Parse("redis://", "ConnectionStrings__redis"));

        Assert.StartsWith("ConnectionStrings__redis ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_WithPassword_MasksIt()
    {
        var options = RedisConnectionOptions.Parse("rediss://app:hunter2@cache:6380/2");

        Assert.Equal("rediss://app:***@cache:6380/2", options.ToString());
    }

    [Fact]
    public void Validate_UserWithoutPassword_Throws()
    {
        var options = new RedisConnectionOptions { User = "app" };

        Assert.Throws<ArgumentException>(options.Validate);
    }
}
