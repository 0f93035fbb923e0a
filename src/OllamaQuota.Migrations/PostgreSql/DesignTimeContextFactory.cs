using Microsoft.EntityFrameworkCore.Design;
using OllamaQuota.Core.Data;

namespace OllamaQuota.Migrations.PostgreSql;

/// <summary>Makes <c>dotnet ef</c> work on the PostgreSQL model when this project is the one it is pointed at.</summary>
public sealed class DesignTimeContextFactory : IDesignTimeDbContextFactory<QuotaDbContext>
{
    public QuotaDbContext CreateDbContext(string[] args) => QuotaMigrations.CreateDesignTimeContext(DatabaseProvider.PostgreSql);
}
