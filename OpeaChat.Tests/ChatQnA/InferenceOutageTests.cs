using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>The whole app, with a context large enough that a reply can be interrupted while it streams.</summary>
public sealed class LongContextAppFixture : AppFixture
{
    protected override int InferenceContextSize => 131072;
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LongContextAppCollection : ICollectionFixture<LongContextAppFixture>
{
    public const string Name = "LongContextApp";
}

/// <summary>Stopping or killing inference, or killing the gateway, in the middle of a reply; then recovering.</summary>
[Collection(LongContextAppCollection.Name)]
public sealed class InferenceOutageTests(LongContextAppFixture app)
{
    [Fact]
    public async Task A_reply_cut_by_an_inference_outage_ends_with_an_error_event_and_the_gateway_recovers()
    {
        using var client = app.CreateHttpClient("chatqna");
        using var timeout = new CancellationTokenSource(AppFixture.StartTimeout);
        var (response, reader, lines) = await StartLongReplyAsync(client, timeout.Token);
        using var _ = response;
        using var __ = reader;

        await app.App.ResourceCommands.ExecuteCommandAsync("inference", KnownResourceCommands.StopCommand, timeout.Token);
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            lines.Add(line);
        }

        Assert.DoesNotContain("data: [DONE]", lines);
        Assert.Contains("event: error", lines);

        // A start right after a stop may be refused while the stop completes: try again a few times.
        ExecuteCommandResult started = null!;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            started = await app.App.ResourceCommands.ExecuteCommandAsync("inference", KnownResourceCommands.StartCommand, timeout.Token);
            if (started.Success)
            {
                break;
            }

            await Task.Delay(500, timeout.Token);
        }

        Assert.True(started.Success, started.Message);
        await app.App.ResourceNotifications.WaitForResourceHealthyAsync("inference", WaitBehavior.WaitOnResourceUnavailable, timeout.Token);
        using var after = await client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once upon a time", stream = false, max_tokens = 8 }, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Inference_killed_mid_reply_gives_an_error_event_and_the_apphost_brings_it_back_by_itself()
    {
        using var client = app.CreateHttpClient("chatqna");
        using var timeout = new CancellationTokenSource(AppFixture.StartTimeout);
        await app.App.ResourceNotifications.WaitForResourceHealthyAsync("inference", WaitBehavior.WaitOnResourceUnavailable, timeout.Token);
        var killed = InferencePid();
        var (response, reader, lines) = await StartLongReplyAsync(client, timeout.Token);
        using var _ = response;
        using var __ = reader;

        // kill -9, not a stop: nobody asks Aspire for anything, so only the AppHost's supervisor can bring it back. The
        // resource's pid may be the `dotnet run` that launched the service; killing only that would leave the service
        // itself running (and streaming), so the whole tree goes.
        using (var process = Process.GetProcessById(killed))
        {
            process.Kill(entireProcessTree: true);
        }

        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            lines.Add(line);
        }

        Assert.DoesNotContain("data: [DONE]", lines);
        Assert.Contains("event: error", lines);

        // Bounded by the timeout above: chats fail fast (503) until the new process has loaded the model.
        HttpStatusCode status;
        do
        {
            await Task.Delay(1000, timeout.Token);
            using var after = await client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once upon a time", stream = false, max_tokens = 8 }, timeout.Token);
            status = after.StatusCode;
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"Unexpected {(int)status} while inference restarts.");
        }
        while (status != HttpStatusCode.OK);

        Assert.NotEqual(killed, InferencePid());
    }

    [Fact]
    public async Task Gateway_killed_mid_reply_is_brought_back_by_the_apphost_with_the_reply_kept_as_failed()
    {
        using var client = app.CreateHttpClient("chatqna");
        using var timeout = new CancellationTokenSource(AppFixture.StartTimeout);
        await app.App.ResourceNotifications.WaitForResourceHealthyAsync("chatqna", WaitBehavior.WaitOnResourceUnavailable, timeout.Token);
        using var created = await client.PostAsJsonAsync("/v1/conversations", new { }, timeout.Token);
        var id = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(timeout.Token)).GetProperty("id").GetString();
        var killed = Pid("chatqna");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                conversation_id = id, messages = new[] { new { role = "user", content = "Once upon a time" } }, max_tokens = 30000, ignore_eos = true, stream = true,
            }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        // Longer than the gateway's save interval (1 s), so some of the text is stored before the kill.
        var reading = Stopwatch.StartNew();
        while (reading.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            lines.Add(await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("The reply ended before the kill."));
        }

        using (var process = Process.GetProcessById(killed))
        {
            process.Kill(entireProcessTree: true);
        }

        try
        {
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
            }
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException)
        {
            // The connection broke with the process: that is the client's error here.
        }

        Assert.DoesNotContain("data: [DONE]", lines);

        // Nobody starts it: the AppHost's supervisor does; meanwhile calls fail (the proxy has nobody behind it).
        System.Text.Json.JsonElement[] messages = [];
        while (messages.Length == 0)
        {
            await Task.Delay(1000, timeout.Token);
            try
            {
                using var stored = await client.GetAsync($"/v1/conversations/{id}/messages", timeout.Token);
                if (stored.StatusCode == HttpStatusCode.OK)
                {
                    messages = [.. (await stored.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(timeout.Token)).GetProperty("data").EnumerateArray()];
                }
            }
            catch (HttpRequestException)
            {
                // not back yet
            }
        }

        Assert.NotEqual(killed, Pid("chatqna"));
        Assert.Equal(["user", "assistant"], messages.Select(message => message.GetProperty("role").GetString()));
        Assert.Equal("failed", messages[1].GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(messages[1].GetProperty("content").GetString()), "Nothing of the reply was kept.");
    }

    /// <summary>A /v1/chatqna reply far longer than the test, read until five text pieces came.</summary>
    private static async Task<(HttpResponseMessage Response, StreamReader Reader, List<string> Lines)> StartLongReplyAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna")
        {
            Content = JsonContent.Create(new { messages = "Once upon a time", max_tokens = 30000, ignore_eos = true }),
        };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var lines = new List<string>();
        for (var pieces = 0; pieces < 5;)
        {
            var line = await reader.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("The reply ended before the fault.");
            lines.Add(line);
            pieces += line.StartsWith("data: b", StringComparison.Ordinal) ? 1 : 0;
        }

        return (response, reader, lines);
    }

    private int InferencePid() => Pid("inference");

    private int Pid(string resource)
    {
        Assert.True(app.App.ResourceNotifications.TryGetCurrentState(resource, out var current));
        var pid = current!.Snapshot.Properties.First(property => property.Name.EndsWith(".pid", StringComparison.Ordinal)).Value;
        return Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
    }
}
