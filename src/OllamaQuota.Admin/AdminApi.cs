using OllamaQuota.Admin.Apis;
using OllamaQuota.Admin.Authentication;

namespace OllamaQuota.Admin;

public static class AdminApi
{
    /// <summary>Every route under /api, each behind the admin password.</summary>
    public static WebApplication MapAdminApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter<AdminPasswordFilter>().RequireCors(AdminServices.CorsPolicy);
        api.MapApiKeysApi();
        api.MapOwnersApi();
        api.MapUsersApi();
        api.MapUsageApi();
        api.MapOverviewApi();
        api.MapRequestLogApi();
        api.MapUsageDeadLettersApi();
        api.MapSettingsApi();
        api.MapOllamaApi();
        api.MapProxyInfoApi();
        api.MapAuditApi();
        return app;
    }
}
