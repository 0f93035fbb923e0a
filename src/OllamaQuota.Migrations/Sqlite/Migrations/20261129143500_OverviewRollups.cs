using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class OverviewRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "usage_key_monthly",
                columns: table => new
                {
                    month = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    key_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    requests = table.Column<long>(type: "INTEGER", nullable: false),
                    prompt_tokens = table.Column<long>(type: "INTEGER", nullable: false),
                    completion_tokens = table.Column<long>(type: "INTEGER", nullable: false),
                    gpu_duration_ns = table.Column<long>(type: "INTEGER", nullable: false),
                    timed_requests = table.Column<long>(type: "INTEGER", nullable: false),
                    errors = table.Column<long>(type: "INTEGER", nullable: false),
                    refused_rate_limited = table.Column<long>(type: "INTEGER", nullable: false),
                    refused_unavailable = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_usage_key_monthly", x => new { x.month, x.key_id });
                });

            migrationBuilder.CreateTable(
                name: "usage_model_daily",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    model = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    requests = table.Column<long>(type: "INTEGER", nullable: false),
                    prompt_tokens = table.Column<long>(type: "INTEGER", nullable: false),
                    completion_tokens = table.Column<long>(type: "INTEGER", nullable: false),
                    gpu_duration_ns = table.Column<long>(type: "INTEGER", nullable: false),
                    timed_requests = table.Column<long>(type: "INTEGER", nullable: false),
                    errors = table.Column<long>(type: "INTEGER", nullable: false),
                    refused_rate_limited = table.Column<long>(type: "INTEGER", nullable: false),
                    refused_unavailable = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_usage_model_daily", x => new { x.day, x.model });
                });

            migrationBuilder.Sql(OllamaQuota.Core.Data.UsageRollupBackfill.Sqlite);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "usage_key_monthly");

            migrationBuilder.DropTable(
                name: "usage_model_daily");
        }
    }
}
