using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpeaChat.ChatQnA.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RetrievalSettingsAndSources : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "sources",
                table: "messages",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "index_name",
                table: "conversations",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "use_documents",
                table: "conversations",
                type: "boolean",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "sources",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "index_name",
                table: "conversations");

            migrationBuilder.DropColumn(
                name: "use_documents",
                table: "conversations");
        }
    }
}
