using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OllamaQuota.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class AddGpuTime : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "eval_duration_ns",
                table: "usage_events",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "load_duration_ns",
                table: "usage_events",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "prompt_eval_duration_ns",
                table: "usage_events",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "total_duration_ns",
                table: "usage_events",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "eval_duration_ns",
                table: "usage_daily",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "gpu_duration_ns",
                table: "usage_daily",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "load_duration_ns",
                table: "usage_daily",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "prompt_eval_duration_ns",
                table: "usage_daily",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "timed_requests",
                table: "usage_daily",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "total_duration_ns",
                table: "usage_daily",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "eval_duration_ns",
                table: "usage_events");

            migrationBuilder.DropColumn(
                name: "load_duration_ns",
                table: "usage_events");

            migrationBuilder.DropColumn(
                name: "prompt_eval_duration_ns",
                table: "usage_events");

            migrationBuilder.DropColumn(
                name: "total_duration_ns",
                table: "usage_events");

            migrationBuilder.DropColumn(
                name: "eval_duration_ns",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "gpu_duration_ns",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "load_duration_ns",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "prompt_eval_duration_ns",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "timed_requests",
                table: "usage_daily");

            migrationBuilder.DropColumn(
                name: "total_duration_ns",
                table: "usage_daily");
        }
    }
}
