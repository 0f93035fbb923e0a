using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class Guardrails : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "max_image_bytes",
                table: "settings",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "max_images_per_request",
                table: "settings",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "max_keep_alive_seconds",
                table: "settings",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "num_ctx_rules",
                table: "settings",
                type: "character varying(16384)",
                maxLength: 16384,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "max_image_bytes",
                table: "settings");

            migrationBuilder.DropColumn(
                name: "max_images_per_request",
                table: "settings");

            migrationBuilder.DropColumn(
                name: "max_keep_alive_seconds",
                table: "settings");

            migrationBuilder.DropColumn(
                name: "num_ctx_rules",
                table: "settings");
        }
    }
}
