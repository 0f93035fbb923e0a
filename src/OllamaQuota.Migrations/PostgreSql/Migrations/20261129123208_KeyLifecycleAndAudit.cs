using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace OllamaQuota.Migrations.PostgreSql.Migrations
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
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "previous_key_expires_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "previous_key_hash",
                table: "api_keys",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "previous_key_prefix",
                table: "api_keys",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "rotated_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "audit_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    occurred_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    actor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    caller_address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    target_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    target_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    target_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    before = table.Column<string>(type: "text", nullable: true),
                    after = table.Column<string>(type: "text", nullable: true)
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
