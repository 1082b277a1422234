using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL 18 with pgvector for the tests: PGlite (PostgreSQL compiled to WASM) served over the wire
/// protocol by <c>@electric-sql/pglite-socket</c>, in memory, on a free port, started once per collection. All its
/// connections share one backend session, so tests that use it run one at a time (<see cref="PgliteCollection"/>).
/// </summary>
public sealed class PgliteServer : IAsyncLifetime
{
    public const string SetUpCommand = "npm ci --prefix OpeaChat.Tests/pglite";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>A connection string to the server's only database; small pools, as the server takes 8 connections in all.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = "postgres",
        Database = "postgres",
        MaxPoolSize = 3,
        Timeout = 30,
        CommandTimeout = 60,
    }.ConnectionString;

    private static async Task InstallAsync()
    {
        var install = new ProcessStartInfo("npm") { WorkingDirectory = RepositoryPaths.Root, UseShellExecute = false };
        foreach (var argument in new[] { "ci", "--prefix", Path.Combine("OpeaChat.Tests", "pglite"), "--no-audit", "--no-fund", "--loglevel=error" })
        {
            install.ArgumentList.Add(argument);
        }

        try
        {
            using var npm = Process.Start(install);
            if (npm is not null)
            {
                await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No npm: the message below says what to install.
        }
    }

    public async Task InitializeAsync()
    {
        var script = Path.Combine(RepositoryPaths.Root, "OpeaChat.Tests", "pglite", "node_modules", "@electric-sql", "pglite-socket", "dist", "scripts", "server.js");
        if (!File.Exists(script))
        {
            // As Playwright fetches its driver: the first run installs the pinned package (package-lock.json) itself.
            await InstallAsync();
        }

        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"PGlite is not installed ({script} is missing). Run `{SetUpCommand}` in the repository root (needs node and npm).");
        }

        Port = LoopbackPort.Free();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Path.GetDirectoryName(script)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, $"--port={Port}", "--host=127.0.0.1", "--extensions=@electric-sql/pglite-pgvector:vector", "-m", "8" })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException(
                $"Could not run node for PGlite: {exception.Message}. Install node and npm, then run `{SetUpCommand}`.", exception);
        }

        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilAcceptingAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    /// <summary>Runs SQL outside any store (set-up and clean-up of a test).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task WaitUntilAcceptingAsync()
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"PGlite exited with code {_process.ExitCode} before accepting connections:\n{Output()}");
            }

            try
            {
                // Pooling off: a failed attempt must not leave a broken connection for the tests.
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=5");
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 1;", connection);
                await command.ExecuteScalarAsync();
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or SocketException or IOException or TimeoutException)
            {
                last = exception;
                await Task.Delay(200);
            }
        }

        throw new TimeoutException($"PGlite did not accept connections on port {Port} within {StartTimeout.TotalSeconds} s ({last?.Message}):\n{Output()}");
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            // The server logs every connection; the start-up and the last lines are what explain a failure.
            if (_output.Length < 16_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

}

/// <summary>Tests on the one PGlite server: it has one backend session, so they run one at a time, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PgliteCollection : ICollectionFixture<PgliteServer>
{
    public const string Name = "PGlite server";
}
