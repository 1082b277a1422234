using System.ComponentModel.DataAnnotations;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>
/// Where documents are kept: <c>documents.db</c> in <c>ChatQnA:DataDirectory</c> (SQLite, beside the conversations'
/// <c>opeachat.db</c> but in its own file, so ingestion never holds the conversations' write lock), or, when
/// <c>ConnectionStrings:documents</c> (else <c>ConnectionStrings:conversations</c>) is set, PostgreSQL with pgvector.
/// </summary>
public sealed class DocumentStorageOptions
{
    public const string SectionName = "ChatQnA";
    public const string ConnectionStringName = "documents";
    public const string FallbackConnectionStringName = "conversations";
    public const string DatabaseFileName = "documents.db";

    /// <summary>The folder of <c>documents.db</c> (the same setting as the conversations' folder). Created if missing.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";

    /// <summary>From the connection strings; when set, PostgreSQL with pgvector is used instead of SQLite.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// PostgreSQL only (<c>ChatQnA:IngestionAbandonedAfter</c>): at start a gateway fails the unfinished documents it
    /// was ingesting itself (same host name), and those of any gateway untouched for this long, since several
    /// gateways may share the database and another one may be ingesting right now.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan IngestionAbandonedAfter { get; set; } = TimeSpan.FromHours(1);

    public bool UsesPostgres => !string.IsNullOrWhiteSpace(ConnectionString);

    public string DatabasePath => Path.Combine(Path.GetFullPath(DataDirectory), DatabaseFileName);
}
