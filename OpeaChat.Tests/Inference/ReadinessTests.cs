using System.Net;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>/health says whether a chat can be answered now; /alive only whether the process is there.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ReadinessTests
{
    [Fact]
    public async Task After_the_model_is_unloaded_health_is_not_ok_and_says_why_while_alive_stays_ok()
    {
        using var host = InferenceHost.Start();
        await host.WaitUntilReadyAsync();
        using var models = JsonDocument.Parse(await host.Client.GetStringAsync(new Uri("/v1/models", UriKind.Relative)));
        var id = models.RootElement.GetProperty("data")[0].GetProperty("id").GetString();

        using var unload = await host.Client.PostAsync(new Uri($"/v1/models/{id}/unload", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, unload.StatusCode);

        using var health = await host.Client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        Assert.Equal("not_loaded", body.RootElement.GetProperty("status").GetString());
        Assert.Contains(id!, body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        using var alive = await host.Client.GetAsync(new Uri("/alive", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task A_corrupt_model_at_start_gives_health_not_ok_with_a_clear_error_and_chats_get_503()
    {
        var folder = Directory.CreateTempSubdirectory("opeachat-corrupt-");
        var path = Path.Combine(folder.FullName, "broken.gguf");
        // The right magic and version, then garbage: it passes a glance and fails the real read.
        await File.WriteAllBytesAsync(path, [.. "GGUF"u8, 3, 0, 0, 0, .. Enumerable.Repeat((byte)0xAB, 4096)]);
        try
        {
            using var host = InferenceHost.Start(("ModelPath", path), ("ModelsDirectory", folder.FullName));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            JsonElement body;
            while (true)
            {
                using var health = await host.Client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
                body = JsonDocument.Parse(await health.Content.ReadAsStringAsync(timeout.Token)).RootElement.Clone();
                if (body.GetProperty("status").GetString() != "loading")
                {
                    break;
                }

                await Task.Delay(100, timeout.Token);
            }

            Assert.Contains(body.GetProperty("status").GetString(), new[] { "error", "no_model" });
            Assert.Contains("broken", body.GetProperty("message").GetString(), StringComparison.Ordinal);

            using var chat = await host.Client.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative),
                new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":4}""", System.Text.Encoding.UTF8, "application/json"), timeout.Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
