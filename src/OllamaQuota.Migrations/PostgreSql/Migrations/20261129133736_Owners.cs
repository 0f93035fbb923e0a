using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.PostgreSql.Migrations
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
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<Guid>(
                name: "owner_id",
                table: "api_keys",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "owners",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    contact = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    keys_version = table.Column<long>(type: "bigint", nullable: false),
                    daily_tokens = table.Column<long>(type: "bigint", nullable: true),
                    monthly_tokens = table.Column<long>(type: "bigint", nullable: true),
                    daily_requests = table.Column<long>(type: "bigint", nullable: true),
                    monthly_requests = table.Column<long>(type: "bigint", nullable: true),
                    requests_per_minute = table.Column<long>(type: "bigint", nullable: true),
                    tokens_per_minute = table.Column<long>(type: "bigint", nullable: true),
                    requests_per_hour = table.Column<long>(type: "bigint", nullable: true),
                    tokens_per_hour = table.Column<long>(type: "bigint", nullable: true),
                    max_concurrent_requests = table.Column<long>(type: "bigint", nullable: true)
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
