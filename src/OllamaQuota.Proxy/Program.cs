using OllamaQuota.Core.Hosting;
using OllamaQuota.Proxy;
using OllamaQuota.Proxy.Routing;

return await StartupErrors.RunOrExplainAsync(async () =>
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddProxy();

    var app = builder.Build();
    app.MapDefaultEndpoints();
    app.MapProxyApi();
    await app.RunAsync();
});
