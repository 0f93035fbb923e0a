using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class ShortWindowsAndInFlight : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "max_concurrent_requests",
                table: "api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "requests_per_hour",
                table: "api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "requests_per_minute",
                table: "api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "tokens_per_hour",
                table: "api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "tokens_per_minute",
                table: "api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "in_flight",
                columns: table => new
                {
                    key_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    requests = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_in_flight", x => x.key_id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "in_flight");

            migrationBuilder.DropColumn(
                name: "max_concurrent_requests",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "requests_per_hour",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "requests_per_minute",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "tokens_per_hour",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "tokens_per_minute",
                table: "api_keys");
        }
    }
}
