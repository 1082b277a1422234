using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpeaChat.Tests.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Durability;

/// <summary>
/// The gateway killed (SIGKILL, no shutdown) in the middle of a streamed reply, then started again on the same
/// database: the reply it was writing is there, failed, with the text saved so far; nothing is lost or doubled.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class GatewayCrashTests : IDisposable
{
    private readonly InferenceHost _inference = InferenceHost.Start(("ContextSize", "32768"), ("MaxParallelSequences", "1"));
    private readonly TempDirectory _data = new();

    [Fact]
    public async Task A_reply_cut_by_a_killed_gateway_is_failed_with_its_text_after_a_restart()
    {
        await _inference.WaitUntilReadyAsync();
        string id;
        var seen = new StringBuilder();
        using (var process = StartGatewayProcess(out var address))
        using (var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) })
        {
            await WaitUntilAliveAsync(client, process);
            using var created = await client.PostAsJsonAsync("/v1/conversations", new { });
            id = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new
                {
                    conversation_id = id, messages = new[] { new { role = "user", content = "Once upon a time" } }, max_tokens = 30000, ignore_eos = true, stream = true,
                }),
            };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var started = Stopwatch.StartNew();
            // Long enough for several steps of the text to be saved (every 200 ms here).
            while (started.Elapsed < TimeSpan.FromSeconds(1.5))
            {
                seen.Append(OpenAiCalls.DeltaText(await reader.ReadLineAsync() ?? throw new InvalidOperationException("The stream ended early.")));
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        using var restarted = GatewayHost.Start(_inference.BaseAddress, _data.Path);
        using var messages = JsonDocument.Parse(await restarted.Client.GetStringAsync($"/v1/conversations/{id}/messages"));
        var list = messages.RootElement.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(["user", "assistant"], list.Select(message => message.GetProperty("role").GetString()));
        Assert.Equal("Once upon a time", list[0].GetProperty("content").GetString());
        Assert.Equal("failed", list[1].GetProperty("status").GetString());
        var saved = list[1].GetProperty("content").GetString()!;
        Assert.False(string.IsNullOrEmpty(saved));
        Assert.StartsWith(saved, seen.ToString(), StringComparison.Ordinal);

        using var tree = JsonDocument.Parse(await restarted.Client.GetStringAsync($"/v1/conversations/{id}/export"));
        Assert.Equal(2, tree.RootElement.GetProperty("messages").GetArrayLength());
    }

    /// <summary>The gateway's build output as a process of its own, which a test can kill outright.</summary>
    private Process StartGatewayProcess(out Uri address)
    {
        address = GatewayHost.Nowhere();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(RepositoryPaths.Root, "OpeaChat.ChatQnA", "bin", configuration, "net10.0", "OpeaChat.ChatQnA.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ChatQnA__InferenceBaseUrl"] = _inference.BaseAddress.ToString();
        start.Environment["ChatQnA__DataDirectory"] = _data.Path;
        start.Environment["ChatQnA__ReplySaveInterval"] = "00:00:00.200";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilAliveAsync(HttpClient client, Process process)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            Assert.False(process.HasExited, $"The gateway exited with {(process.HasExited ? process.ExitCode : 0)}.");
            try
            {
                using var alive = await client.GetAsync("/alive");
                if (alive.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.True(DateTime.UtcNow < deadline, "The gateway did not start within 60 s.");
            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        _inference.Dispose();
        _data.Dispose();
    }
}
