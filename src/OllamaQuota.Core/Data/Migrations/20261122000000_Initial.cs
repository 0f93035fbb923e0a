using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace OllamaQuota.Core.Data.Migrations;

/// <summary>
/// Hand-written (the EF Design package is not available here). Column types are left to the provider, so the same
/// migration creates uuid/timestamptz/bigint on PostgreSQL and TEXT/INTEGER on SQLite.
/// </summary>
[DbContext(typeof(QuotaDbContext))]
[Migration("20261122000000_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "api_keys",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 200, nullable: false),
                key_prefix = table.Column<string>(maxLength: 32, nullable: false),
                key_hash = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: true),
                is_active = table.Column<bool>(nullable: false),
                deactivated_at = table.Column<DateTime>(nullable: true),
                daily_tokens = table.Column<long>(nullable: true),
                monthly_tokens = table.Column<long>(nullable: true),
                daily_requests = table.Column<long>(nullable: true),
                monthly_requests = table.Column<long>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_api_keys", x => x.id));

        migrationBuilder.CreateIndex(name: "ix_api_keys_key_hash", table: "api_keys", column: "key_hash", unique: true);

        migrationBuilder.CreateTable(
            name: "settings",
            columns: table => new
            {
                id = table.Column<int>(nullable: false),
                ollama_url = table.Column<string>(maxLength: 2048, nullable: false),
                default_model = table.Column<string>(maxLength: 200, nullable: false),
                revision = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_settings", x => x.id));

        migrationBuilder.CreateTable(
            name: "usage_events",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                key_id = table.Column<Guid>(nullable: false),
                model = table.Column<string>(maxLength: 200, nullable: false),
                endpoint = table.Column<string>(maxLength: 64, nullable: false),
                prompt_tokens = table.Column<int>(nullable: false),
                completion_tokens = table.Column<int>(nullable: false),
                status_code = table.Column<int>(nullable: false),
                duration_ms = table.Column<int>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_usage_events", x => x.id));

        migrationBuilder.CreateIndex(
            name: "ix_usage_events_key_id_created_at", table: "usage_events", columns: ["key_id", "created_at"]);

        migrationBuilder.CreateTable(
            name: "usage_daily",
            columns: table => new
            {
                key_id = table.Column<Guid>(nullable: false),
                day = table.Column<DateOnly>(nullable: false),
                model = table.Column<string>(maxLength: 200, nullable: false),
                requests = table.Column<long>(nullable: false),
                prompt_tokens = table.Column<long>(nullable: false),
                completion_tokens = table.Column<long>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_usage_daily", x => new { x.key_id, x.day, x.model }));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "usage_daily");
        migrationBuilder.DropTable(name: "usage_events");
        migrationBuilder.DropTable(name: "settings");
        migrationBuilder.DropTable(name: "api_keys");
    }
}
