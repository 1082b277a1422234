using System.ComponentModel.DataAnnotations;

namespace OpeaChat.ChatQnA.Data;

/// <summary>
/// Where conversations and prompts are kept: <c>ChatQnA:DataDirectory</c> (SQLite, the default) or, when
/// <c>ConnectionStrings:conversations</c> is set, that PostgreSQL database.
/// </summary>
public sealed class ConversationStorageOptions
{
    public const string SectionName = "ChatQnA";
    public const string ConnectionStringName = "conversations";
    public const string DatabaseFileName = "opeachat.db";

    /// <summary>The folder of <c>opeachat.db</c>; a relative path is taken from the working directory. Created if missing.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";

    /// <summary>From <c>ConnectionStrings:conversations</c>; when set, PostgreSQL is used instead of SQLite.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Largest body of <c>POST /v1/conversations/import</c>, in bytes (413 beyond it): an export of a long chat is
    /// larger than <c>ChatQnA:MaxRequestBodyBytes</c> (one of 100,000 short messages is about 50 MB).
    /// </summary>
    [Range(1_024, 1_073_741_824)]
    public long MaxImportBytes { get; set; } = 128L * 1024 * 1024;

    public bool UsesPostgres => !string.IsNullOrWhiteSpace(ConnectionString);

    public string DatabasePath => Path.Combine(Path.GetFullPath(DataDirectory), DatabaseFileName);
}
