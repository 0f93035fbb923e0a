using System.Reflection;
using OllamaQuota.Core.Data;
using OllamaQuota.Proxy.Routing;

namespace OllamaQuota.Tests.Proxy;

public sealed class ProxyEndpointTests
{
    [Fact]
    public void Path_EveryEndpoint_FitsTheUsageEndpointColumn()
    {
        var endpoints = typeof(ProxyEndpoint).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(ProxyEndpoint))
            .Select(f => (ProxyEndpoint)f.GetValue(null)!)
            .ToList();

        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e => Assert.InRange(e.Path.Length, 1, ColumnLengths.Endpoint));
    }
}
