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

/// <summary>Stopping the inference resource in the middle of a reply, then starting it again.</summary>
[Collection(LongContextAppCollection.Name)]
public sealed class InferenceOutageTests(LongContextAppFixture app)
{
    [Fact]
    public async Task A_reply_cut_by_an_inference_outage_ends_with_an_error_event_and_the_gateway_recovers()
    {
        using var client = app.CreateHttpClient("chatqna");
        using var timeout = new CancellationTokenSource(AppFixture.StartTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna")
        {
            Content = JsonContent.Create(new { messages = "Once upon a time", max_tokens = 30000, ignore_eos = true }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var lines = new List<string>();
        for (var pieces = 0; pieces < 5;)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("The reply ended before the outage.");
            lines.Add(line);
            pieces += line.StartsWith("data: b", StringComparison.Ordinal) ? 1 : 0;
        }

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
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chatqna")
        {
            Content = JsonContent.Create(new { messages = "Once upon a time", max_tokens = 30000, ignore_eos = true }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var lines = new List<string>();
        for (var pieces = 0; pieces < 5;)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("The reply ended before the kill.");
            lines.Add(line);
            pieces += line.StartsWith("data: b", StringComparison.Ordinal) ? 1 : 0;
        }

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

    private int InferencePid()
    {
        Assert.True(app.App.ResourceNotifications.TryGetCurrentState("inference", out var current));
        var pid = current!.Snapshot.Properties.First(property => property.Name.EndsWith(".pid", StringComparison.Ordinal)).Value;
        return Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
    }
}
