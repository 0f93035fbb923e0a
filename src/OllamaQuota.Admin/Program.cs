using OllamaQuota.Admin;
using OllamaQuota.Admin.Commands;
using OllamaQuota.Core.Hosting;

if (AdminCommands.IsCommand(args))
{
    return await AdminCommands.RunAsync(args);
}

return await StartupErrors.RunOrExplainAsync(async () =>
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddAdmin();

    var app = builder.Build();
    app.UseForwardedHeaders();
    app.UseCors();
    app.MapDefaultEndpoints();
    app.MapAdminApi();
    app.MapAdminUi();
    await app.RunAsync();
});
