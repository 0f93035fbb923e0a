using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class OverviewAndRequestLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_usage_events_key_id_created_at",
                table: "usage_events");

            migrationBuilder.AddColumn<bool>(
                name: "refused",
                table: "usage_events",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "errors",
                table: "usage_daily",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "refused_rate_limited",
                table: "usage_daily",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "refused_unavailable",
                table: "usage_daily",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "usage_retention_days",
                table: "settings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_usage_events_created_at_id",
                table: "usage_events",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_usage_events_endpoint_created_at_id",
                table: "usage_events",
                columns: new[] { "endpoint", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_usage_events_key_id_created_at_id",
                table: "usage_events",
                columns: new[] { "key_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_usage_events_model_created_at_id",
                table: "usage_events",
                columns: new[] { "model", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_usage_events_status_code_created_at_id",
                table: "usage_events",
                columns: new[] { "status_code", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_usage_daily_day",
                table: "usage_daily",
                column: "day");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_usage_events_created_at_id",
                table: "usage_events");

            migrationBuilder.DropIndex(
                name: "ix_usage_events_endpoint_created_at_id",
                table: "usage_events");

            migrationBuilder.DropIndex(
                name: "ix_usage_events_key_id_created_at_id",
                table: "usage_events");

            migrationBuilder.DropIndex(
                name: "ix_usage_events_model_created_at_id",
                table: "usage_events");

            migrationBuilder.DropIndex(
                name: "ix_usage_events_status_code_created_at_id",
                table: "usage_events");

            migrationBuilder.DropIndex(
                name: "ix_usage_daily_day",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "refused",
                table: "usage_events");

            migrationBuilder.DropColumn(
                name: "errors",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "refused_rate_limited",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "refused_unavailable",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "usage_retention_days",
                table: "settings");

            migrationBuilder.CreateIndex(
                name: "ix_usage_events_key_id_created_at",
                table: "usage_events",
                columns: new[] { "key_id", "created_at" });
        }
    }
}
