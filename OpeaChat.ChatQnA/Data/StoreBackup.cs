using Microsoft.Data.Sqlite;

namespace OpeaChat.ChatQnA.Data;

/// <summary>One database file copied by <see cref="StoreBackup"/>: its name, size and SQLite's integrity check.</summary>
public sealed record BackupFile(string Name, long Bytes, string IntegrityCheck);

/// <summary>
/// Online backup and restore of the SQLite stores (<c>opeachat.db</c>: conversations and prompts; <c>documents.db</c>:
/// documents, chunks and vectors) through SQLite's backup API: each file copied in one step under one read
/// transaction, so the copy is one moment's state, while the gateway keeps reading and writing (in WAL mode a reader
/// does not block writers).
/// PostgreSQL stores are copied with <c>pg_dump</c> and <c>pg_restore</c> instead (docs/reliability.md).
/// </summary>
public static class StoreBackup
{
    /// <summary>The files a backup holds, in the order they are copied.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        [ConversationStorageOptions.DatabaseFileName, Retrieval.Store.DocumentStorageOptions.DatabaseFileName];

    /// <summary>
    /// Copies each store file of <paramref name="dataDirectory"/> that exists into <paramref name="backupDirectory"/>
    /// (created; files already there are never overwritten) and checks each copy.
    /// </summary>
    public static async Task<IReadOnlyList<BackupFile>> BackupAsync(string dataDirectory, string backupDirectory, CancellationToken cancellationToken)
    {
        var sources = FileNames.Select(name => (Name: name, Path: Path.Combine(dataDirectory, name))).Where(file => File.Exists(file.Path)).ToList();
        if (sources.Count == 0)
        {
            throw new StoreBackupException($"There is no {string.Join(" or ", FileNames)} in {Path.GetFullPath(dataDirectory)} (ChatQnA:DataDirectory) to back up.");
        }

        if (sources.FirstOrDefault(file => File.Exists(Path.Combine(backupDirectory, file.Name))) is { Name: not null } taken)
        {
            throw new StoreBackupException($"{Path.Combine(Path.GetFullPath(backupDirectory), taken.Name)} exists already: back up into a new folder.");
        }

        Directory.CreateDirectory(backupDirectory);
        var copied = new List<BackupFile>();
        foreach (var (name, path) in sources)
        {
            var target = Path.Combine(backupDirectory, name);
            await CopyAsync(path, target, SqliteOpenMode.ReadOnly, cancellationToken);
            copied.Add(await CheckAsync(target, name, cancellationToken));
        }

        return copied;
    }

    /// <summary>
    /// Copies the backup's files over the live ones in <paramref name="dataDirectory"/>, each as one write (a running
    /// gateway's next read sees the restored store whole). Every backup file is checked first; a broken one restores
    /// nothing.
    /// </summary>
    public static async Task<IReadOnlyList<BackupFile>> RestoreAsync(string backupDirectory, string dataDirectory, CancellationToken cancellationToken)
    {
        var sources = FileNames.Select(name => (Name: name, Path: Path.Combine(backupDirectory, name))).Where(file => File.Exists(file.Path)).ToList();
        if (sources.Count == 0)
        {
            throw new StoreBackupException($"There is no {string.Join(" or ", FileNames)} in {Path.GetFullPath(backupDirectory)} to restore.");
        }

        foreach (var (name, path) in sources)
        {
            if ((await CheckAsync(path, name, cancellationToken)).IntegrityCheck != "ok")
            {
                throw new StoreBackupException($"{path} fails SQLite's integrity check; nothing was restored.");
            }
        }

        Directory.CreateDirectory(dataDirectory);
        var restored = new List<BackupFile>();
        foreach (var (name, path) in sources)
        {
            var target = Path.Combine(dataDirectory, name);
            await CopyAsync(path, target, SqliteOpenMode.ReadWriteCreate, cancellationToken);
            restored.Add(await CheckAsync(target, name, cancellationToken));
        }

        return restored;
    }

    private static async Task CopyAsync(string source, string target, SqliteOpenMode sourceMode, CancellationToken cancellationToken)
    {
        await using var from = await OpenAsync(source, sourceMode, cancellationToken);
        await using var to = await OpenAsync(target, SqliteOpenMode.ReadWriteCreate, cancellationToken);
        // BackupDatabase copies every page in one step; it has no asynchronous form.
        await Task.Run(() => from.BackupDatabase(to), cancellationToken);
    }

    private static async Task<BackupFile> CheckAsync(string path, string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(path, SqliteOpenMode.ReadOnly, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        var result = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) ?? "no answer";
        return new BackupFile(name, new FileInfo(path).Length, result);
    }

    private static async Task<SqliteConnection> OpenAsync(string path, SqliteOpenMode mode, CancellationToken cancellationToken)
    {
        // Not pooled: the file must be closed when the copy ends. A writer holding the lock is waited for, not failed.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 30000;";
        await busy.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}

/// <summary>A backup or restore that cannot be done; the message says why and what to do.</summary>
public sealed class StoreBackupException(string message) : Exception(message);
