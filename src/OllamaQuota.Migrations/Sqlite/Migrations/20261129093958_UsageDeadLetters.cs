using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class UsageDeadLetters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "usage_dead_letters",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    event_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    payload = table.Column<string>(type: "TEXT", nullable: false),
                    error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_usage_dead_letters", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_usage_dead_letters_event_id",
                table: "usage_dead_letters",
                column: "event_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "usage_dead_letters");
        }
    }
}
