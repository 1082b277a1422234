using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// The inference service alone, in the test process, on a real Kestrel port and the real test model, with its
/// settings chosen by the test (small queues, several model files, a body limit).
/// </summary>
public sealed class InferenceHost : WebApplicationFactory<OpeaChat.Inference.Models.ModelCatalog>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;

    public InferenceHost(IReadOnlyDictionary<string, string?> settings)
    {
        _settings = settings;
        UseKestrel(0);
        StartServer();
        Client = new HttpClient { BaseAddress = ClientOptions.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>A client over real HTTP to the server's port.</summary>
    public HttpClient Client { get; }

    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>Settings under <c>Inference:</c>; the test model is the default unless the settings say otherwise.</summary>
    public static InferenceHost Start(params (string Key, string? Value)[] inference)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inference:ModelPath"] = TestModel.Path,
            ["Inference:Threads"] = "1",
        };
        foreach (var (key, value) in inference)
        {
            settings[$"Inference:{key}"] = value;
        }

        return WebHostStart.WithRetry(() => new InferenceHost(settings));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
    }

    /// <summary>Waits (bounded) until the default model answers /health with 200.</summary>
    public async Task WaitUntilReadyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await Client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Client.Dispose();
        }

        base.Dispose(disposing);
    }
}
