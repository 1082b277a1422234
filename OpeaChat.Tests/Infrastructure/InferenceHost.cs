namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// The inference service alone, in the test process, on a real Kestrel port and the real test model, with its
/// settings chosen by the test (small queues, several model files, a body limit).
/// </summary>
public sealed class InferenceHost : KestrelTestHost<OpeaChat.Inference.Models.ModelCatalog>
{
    private InferenceHost(IReadOnlyDictionary<string, string?> settings, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
        : base(settings, services)
    {
    }

    /// <summary>Settings as whole keys (<c>HF_ENDPOINT</c> beside <c>Inference:…</c>) and services added after the app's own.</summary>
    public static InferenceHost StartWith(IReadOnlyDictionary<string, string?> settings, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?> { ["Inference:Threads"] = "1" };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return WebHostStart.WithRetry(() => new InferenceHost(all, services));
    }

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
}
