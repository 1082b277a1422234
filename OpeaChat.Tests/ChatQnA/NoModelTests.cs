using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.AppHost;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>With no model anywhere the app still starts, and every door says what to do.</summary>
[Collection(NoModelAppCollection.Name)]
public sealed class NoModelTests(NoModelAppFixture app)
{
    [Fact]
    public async Task Inference_health_is_503_no_model_with_instructions()
    {
        using var client = app.CreateHttpClient("inference");
        using var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("no_model", json.RootElement.GetProperty("status").GetString());
        AssertSaysWhatToDo(json.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_dashboard_shows_what_inference_says_about_its_model()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        string? description = null;
        await foreach (var update in app.App.ResourceNotifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name == "inference"
                && update.Snapshot.HealthReports.FirstOrDefault(report => report.Name == ModelStateHealthCheckExtensions.Name) is { Description: { } text })
            {
                description = text;
                break;
            }
        }

        Assert.NotNull(description);
        Assert.StartsWith("no_model: ", description, StringComparison.Ordinal);
        AssertSaysWhatToDo(description);
    }

    [Fact]
    public async Task Chat_requests_get_503_with_the_same_instructions()
    {
        using var client = app.CreateHttpClient("chatqna");
        using var response = await client.PostAsJsonAsync("/v1/chatqna", new { messages = "Once upon a time", stream = true });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        AssertSaysWhatToDo(json.RootElement.GetProperty("detail").GetString());

        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        AssertSaysWhatToDo(await health.Content.ReadAsStringAsync());
    }

    private void AssertSaysWhatToDo(string? message)
    {
        Assert.NotNull(message);
        Assert.Contains("No model found", message, StringComparison.Ordinal);
        Assert.Contains(app.EmptyModelsDirectory, message, StringComparison.Ordinal);
        Assert.Contains("OPEACHAT_MODEL", message, StringComparison.Ordinal);
        Assert.Contains("Llama-3.2-3B-Instruct-Q6_K_L.gguf", message, StringComparison.Ordinal);
    }
}
