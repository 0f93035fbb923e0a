using System.Text.Json;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using OllamaQuota.Admin.Activity;
using OllamaQuota.Admin.Apis;
using OllamaQuota.Admin.Authentication;
using OllamaQuota.Admin.Retention;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Hosting;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Admin;

public static class AdminServices
{
    public const string CorsPolicy = "admin-ui";

    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        ListenAddress.Apply(builder, "ADMIN", "127.0.0.1", 8001);

        var services = builder.Services;
        services.AddOptions<AdminOptions>()
            .Configure<IConfiguration>(AdminOptions.Bind)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidation>();

        builder.AddQuotaDatabase();
        services.AddHostedService<DatabaseReadyCheck>();
        // Built now so that a bad APP_TZ stops the start, not the first request.
        services.AddSingleton(QuotaCalendar.FromConfiguration(builder.Configuration, TimeProvider.System));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<KeyChangeNotifier>();
        builder.AddKeyChangePublishing();
        services.AddSingleton(provider => new KeyActivityReader(
            provider.GetRequiredService<QuotaCalendar>(), provider.GetRequiredService<TimeProvider>(),
            provider.GetService<StackExchange.Redis.IConnectionMultiplexer>()));
        services.AddSingleton<FailedLoginThrottle>();
        services.AddAdminForwardedHeaders();
        services.AddSingleton<UsageRetentionService>();
        services.AddHostedService(provider => provider.GetRequiredService<UsageRetentionService>());
        services.AddHttpClient(OllamaApi.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(5));

        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DictionaryKeyPolicy = null;
        });

        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<AdminOptions>>((cors, admin) =>
            cors.AddPolicy(CorsPolicy, policy => policy.WithOrigins(admin.Value.AllowedOrigins).AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("X-Total-Count")));
        return builder;
    }
}
