using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class KeyLifecycleAndAudit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "deleted_at",
                table: "api_keys",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "previous_key_expires_at",
                table: "api_keys",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "previous_key_hash",
                table: "api_keys",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "previous_key_prefix",
                table: "api_keys",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "rotated_at",
                table: "api_keys",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "audit_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    occurred_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    caller_address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    action = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    target_type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    target_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    target_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    before = table.Column<string>(type: "TEXT", nullable: true),
                    after = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_events", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_previous_key_hash",
                table: "api_keys",
                column: "previous_key_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_action_occurred_at_id",
                table: "audit_events",
                columns: new[] { "action", "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_occurred_at_id",
                table: "audit_events",
                columns: new[] { "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_target_id_occurred_at_id",
                table: "audit_events",
                columns: new[] { "target_id", "occurred_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_events");

            migrationBuilder.DropIndex(
                name: "ix_api_keys_previous_key_hash",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "previous_key_expires_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "previous_key_hash",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "previous_key_prefix",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "rotated_at",
                table: "api_keys");
        }
    }
}
