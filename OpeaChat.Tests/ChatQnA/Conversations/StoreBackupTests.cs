using System.Net;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Conversations;

/// <summary>The gateway's <c>backup</c> and <c>restore</c> verbs: a backup taken while a gateway runs and writes restores whole.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class StoreBackupTests : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly TempDirectory _backup = new();

    public void Dispose()
    {
        _data.Dispose();
        _backup.Dispose();
    }

    [Fact]
    public async Task A_backup_taken_under_writes_restores_the_conversations_as_they_were()
    {
        Guid kept;
        Guid later;
        int writtenBeforeBackup;
        // Without the per-client rate limit: the writer below outruns its burst of 60 on a fast machine.
        using (var gateway = GatewayHost.Start(GatewayHost.Nowhere(), _data.Path, ("Logging:LogLevel:Default", "Warning"), ("RateLimit:Enabled", "false")))
        {
            kept = (await gateway.Client.PostJsonAsync("/v1/conversations", new { title = "Keep me" })).GetGuid("id");
            var u1 = await gateway.Messages.AddUserMessageAsync(kept, "What is rain?", null, CancellationToken.None);
            await gateway.Messages.AddAssistantMessageAsync(kept, u1.Id, "Water from clouds.", "complete", "m", null, null, null, CancellationToken.None);

            // Writes go on all through the backup.
            using var stop = new CancellationTokenSource();
            var written = 0;
            var writer = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await gateway.Client.PostJsonAsync("/v1/conversations", new { title = $"busy {written}" });
                    Interlocked.Increment(ref written);
                }
            });
            await WaitUntilAsync(() => Volatile.Read(ref written) >= 5);
            writtenBeforeBackup = Volatile.Read(ref written);

            var (code, output, error) = await RunAsync(StoreBackupCommand.BackupVerb, _backup.Path, _data.Path);
            await stop.CancelAsync();
            await writer;
            Assert.True(code == 0, error);
            Assert.Contains("backup: opeachat.db", output, StringComparison.Ordinal);
            Assert.Contains("integrity ok", output, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(_backup.Path, ConversationStorageOptions.DatabaseFileName)));

            // After the backup: the kept conversation goes, another comes.
            using var delete = await gateway.Client.DeleteAsync($"/v1/conversations/{kept}");
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            later = (await gateway.Client.PostJsonAsync("/v1/conversations", new { title = "After the backup" })).GetGuid("id");

            var again = await RunAsync(StoreBackupCommand.BackupVerb, _backup.Path, _data.Path);
            Assert.Equal(1, again.Code);
            Assert.Contains("exists already", again.Error, StringComparison.Ordinal);
        }

        var restore = await RunAsync(StoreBackupCommand.RestoreVerb, _backup.Path, _data.Path);
        Assert.True(restore.Code == 0, restore.Error);

        using var restarted = GatewayHost.StartWithoutInference(_data.Path);
        var conversation = await restarted.Client.GetAsync($"/v1/conversations/{kept}");
        Assert.Equal(HttpStatusCode.OK, conversation.StatusCode);
        Assert.Equal(["What is rain?", "Water from clouds."],
            (await restarted.Messages.GetActiveBranchAsync(kept, CancellationToken.None)).Select(m => m.Content));
        using var gone = await restarted.Client.GetAsync($"/v1/conversations/{later}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var listed = await (await restarted.Client.GetAsync("/v1/conversations?q=busy&limit=1")).ReadJsonAsync();
        Assert.True(listed.GetProperty("total").GetInt32() >= writtenBeforeBackup, listed.ToString());
    }

    [Fact]
    public async Task Restore_refuses_a_folder_without_a_backup_and_wrong_use_is_exit_code_2()
    {
        Directory.CreateDirectory(_backup.Path);

        var restore = await RunAsync(StoreBackupCommand.RestoreVerb, _backup.Path, _data.Path);
        var usage = await RunAsync(StoreBackupCommand.BackupVerb, "--ChatQnA:DataDirectory=x", _data.Path);

        Assert.Equal(1, restore.Code);
        Assert.Contains("There is no opeachat.db", restore.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_data.Path));
        Assert.Equal(2, usage.Code);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string verb, string folder, string dataDirectory)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await StoreBackupCommand.RunAsync([verb, folder, $"--ChatQnA:DataDirectory={dataDirectory}"], output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited++)
        {
            Assert.True(waited < 600, "The writer did not get going within 60 s.");
            await Task.Delay(100);
        }
    }
}
