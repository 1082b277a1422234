using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpeaChat.ChatQnA.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MessageLinksWithoutCascade : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_messages_messages_parent_id",
                table: "messages");

            migrationBuilder.AddForeignKey(
                name: "FK_messages_messages_parent_id",
                table: "messages",
                column: "parent_id",
                principalTable: "messages",
                principalColumn: "id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_messages_messages_parent_id",
                table: "messages");

            migrationBuilder.AddForeignKey(
                name: "FK_messages_messages_parent_id",
                table: "messages",
                column: "parent_id",
                principalTable: "messages",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
