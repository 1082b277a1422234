using System.Diagnostics;
using System.Text;
using Npgsql;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server (the Debian <c>postgresql-15</c> package's binaries) for one test collection: a new
/// cluster made by <c>initdb</c> in a temp folder, started by <c>pg_ctl</c> on a free loopback port with its unix
/// socket in that folder, trust authentication, fsync off, and removed afterwards. PostgreSQL refuses to run as root,
/// so when the tests run as root (CI containers) every server command runs as the <c>postgres</c> user through
/// <c>runuser</c> and the folder is handed to that user. Each test class takes a database of its own
/// (<see cref="CreateDatabaseAsync"/>).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string SetUpCommand = "apt-get install -y postgresql-15";

    /// <summary>The user the server runs as when the tests run as root (the Debian package creates it).</summary>
    private const string ServerUser = "postgres";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private string _root = string.Empty;
    private bool _asRoot;

    public int Port { get; private set; }

    /// <summary>The folder of <c>initdb</c>, <c>pg_ctl</c>, <c>pg_dump</c>, <c>pg_restore</c> and <c>psql</c>.</summary>
    public string BinDirectory { get; private set; } = string.Empty;

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Timeout = 30,
        CommandTimeout = 120,
    }.ConnectionString;

    public async Task InitializeAsync()
    {
        BinDirectory = FindBinDirectory() ?? throw new InvalidOperationException(
            $"No PostgreSQL server binaries (initdb, pg_ctl) were found in /usr/lib/postgresql/*/bin or on PATH. Install them: `{SetUpCommand}`.");
        _root = Path.Combine(Path.GetTempPath(), "opeachat-postgres-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(_root, "socket"));
        var asRoot = Environment.UserName == "root" || GetUid() == 0;
        if (asRoot)
        {
            await RunAsync("chown", ["-R", $"{ServerUser}:{ServerUser}", _root]);
        }

        var data = Path.Combine(_root, "data");
        await RunServerToolAsync(asRoot, "initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        Port = LoopbackPort.Free();
        var options = $"-p {Port} -k {Path.Combine(_root, "socket")} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        await RunServerToolAsync(asRoot, "pg_ctl", ["-D", data, "-l", Path.Combine(_root, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
        _asRoot = asRoot;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Port != 0)
        {
            try
            {
                await RunServerToolAsync(_asRoot, "pg_ctl", ["-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Already stopped; the folder goes anyway.
            }
        }

        try
        {
            if (Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    /// <summary>A new, empty database on the server; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionStringFor(name);
    }

    /// <summary>Runs one of the server's client tools (pg_dump, pg_restore, psql) as the current user.</summary>
    public Task<string> RunClientToolAsync(string tool, params string[] arguments) => RunAsync(Path.Combine(BinDirectory, tool), arguments);

    private Task<string> RunServerToolAsync(bool asRoot, string tool, string[] arguments) =>
        asRoot
            ? RunAsync("runuser", ["-u", ServerUser, "--", Path.Combine(BinDirectory, tool), .. arguments])
            : RunAsync(Path.Combine(BinDirectory, tool), arguments);

    private static async Task<string> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Out of any folder the server user may not read.
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(CommandTimeout);
        var text = new StringBuilder().Append(await output).Append(await error).ToString();
        return process.ExitCode == 0
            ? text
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{text}");
    }

    /// <summary>The newest /usr/lib/postgresql/N/bin (Debian's layout), else the folder of initdb on PATH.</summary>
    private static string? FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable("OPEACHAT_POSTGRES_BIN") is { Length: > 0 } chosen)
        {
            return chosen;
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(folder => (Folder: folder, Version: int.TryParse(Path.GetFileName(folder), out var version) ? version : 0))
                .Where(candidate => File.Exists(Path.Combine(candidate.Folder, "bin", "initdb")))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => Path.Combine(candidate.Folder, "bin"))
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .FirstOrDefault(folder => folder.Length > 0 && File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "pg_ctl")));
    }

    private static uint GetUid()
    {
        // /proc/self/status: "Uid:\t<real>\t<effective>…"; no P/Invoke needed.
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return uint.MaxValue;
    }

}

/// <summary>Tests on the one PostgreSQL server of the run; each class uses a database of its own.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL server";
}
