using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Owners : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "owner_changes",
                table: "api_keys",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<Guid>(
                name: "owner_id",
                table: "api_keys",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "owners",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    contact = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    keys_version = table.Column<long>(type: "INTEGER", nullable: false),
                    daily_tokens = table.Column<long>(type: "INTEGER", nullable: true),
                    monthly_tokens = table.Column<long>(type: "INTEGER", nullable: true),
                    daily_requests = table.Column<long>(type: "INTEGER", nullable: true),
                    monthly_requests = table.Column<long>(type: "INTEGER", nullable: true),
                    requests_per_minute = table.Column<long>(type: "INTEGER", nullable: true),
                    tokens_per_minute = table.Column<long>(type: "INTEGER", nullable: true),
                    requests_per_hour = table.Column<long>(type: "INTEGER", nullable: true),
                    tokens_per_hour = table.Column<long>(type: "INTEGER", nullable: true),
                    max_concurrent_requests = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_owners", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_owner_id",
                table: "api_keys",
                column: "owner_id");

            migrationBuilder.AddForeignKey(
                name: "fk_api_keys_owners_owner_id",
                table: "api_keys",
                column: "owner_id",
                principalTable: "owners",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_api_keys_owners_owner_id",
                table: "api_keys");

            migrationBuilder.DropTable(
                name: "owners");

            migrationBuilder.DropIndex(
                name: "ix_api_keys_owner_id",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "owner_changes",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "owner_id",
                table: "api_keys");
        }
    }
}
