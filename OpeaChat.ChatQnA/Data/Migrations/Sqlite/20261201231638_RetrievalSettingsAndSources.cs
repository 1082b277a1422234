using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpeaChat.ChatQnA.Data.Migrations.Sqlite
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "index_name",
                table: "conversations",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "use_documents",
                table: "conversations",
                type: "INTEGER",
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
