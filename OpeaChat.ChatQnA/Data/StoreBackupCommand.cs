using Microsoft.Extensions.Configuration;
using OpeaChat.ChatQnA.Retrieval.Store;

namespace OpeaChat.ChatQnA.Data;

/// <summary>
/// The gateway's command-line verbs for its stores, run beside a running gateway (same settings, same data folder):
/// <c>OpeaChat.ChatQnA backup FOLDER</c> and <c>OpeaChat.ChatQnA restore FOLDER</c>, with any
/// <c>--ChatQnA:DataDirectory=…</c> style settings after the folder. Exit codes: 0 done, 1 failed, 2 wrong use or a
/// PostgreSQL store (backed up with pg_dump instead).
/// </summary>
public static class StoreBackupCommand
{
    public const string BackupVerb = "backup";
    public const string RestoreVerb = "restore";

    public static bool Matches(string[] args) => args is [BackupVerb or RestoreVerb, ..];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args is not [var verb, var folder, .. var settings] || folder.StartsWith('-'))
        {
            await error.WriteLineAsync($"Usage: OpeaChat.ChatQnA {BackupVerb}|{RestoreVerb} FOLDER [--ChatQnA:DataDirectory=DIR]");
            return 2;
        }

        // The gateway's own sources, so the verb finds the same folder and connection strings the gateway uses.
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(settings);
        var configuration = builder.Configuration;
        var conversations = configuration.GetSection(ConversationStorageOptions.SectionName).Get<ConversationStorageOptions>() ?? new();
        conversations.ConnectionString = configuration.GetConnectionString(ConversationStorageOptions.ConnectionStringName);
        var documents = configuration.GetConnectionString(DocumentStorageOptions.ConnectionStringName) ?? conversations.ConnectionString;
        if (conversations.UsesPostgres || !string.IsNullOrWhiteSpace(documents))
        {
            await error.WriteLineAsync(
                "The stores are in PostgreSQL (ConnectionStrings:conversations or :documents): back them up with "
                + "`pg_dump --format=custom --file=opeachat.dump DATABASE` and restore with "
                + "`pg_restore --clean --if-exists --dbname=DATABASE opeachat.dump` (docs/reliability.md, Backup and restore).");
            return 2;
        }

        var dataDirectory = Path.GetFullPath(conversations.DataDirectory);
        try
        {
            IReadOnlyList<BackupFile> files;
            if (verb == BackupVerb)
            {
                files = await StoreBackup.BackupAsync(dataDirectory, folder, cancellationToken);
            }
            else
            {
                files = await StoreBackup.RestoreAsync(folder, dataDirectory, cancellationToken);
                // A backup from an older version is brought to this version's schema now, not at the next request.
                await ConversationsDatabase.InitializeAsync(
                    ConversationsDatabase.CreateSqliteFactory(conversations.DatabasePath), TimeProvider.System, cancellationToken);
            }

            foreach (var file in files)
            {
                await output.WriteLineAsync(FormattableString.Invariant($"{verb}: {file.Name} {file.Bytes} bytes, integrity {file.IntegrityCheck}"));
            }

            await output.WriteLineAsync(verb == BackupVerb
                ? $"Backed up {dataDirectory} into {Path.GetFullPath(folder)}."
                : $"Restored {Path.GetFullPath(folder)} into {dataDirectory}.");
            return files.All(file => file.IntegrityCheck == "ok") ? 0 : 1;
        }
        catch (StoreBackupException exception)
        {
            await error.WriteLineAsync(exception.Message);
            return 1;
        }
        catch (Microsoft.Data.Sqlite.SqliteException exception)
        {
            await error.WriteLineAsync($"SQLite refused the {verb}: {exception.Message}");
            return 1;
        }
    }
}
