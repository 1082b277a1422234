using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// Starts the whole AppHost (inference, chatqna, web) once per test collection, on the real test model, with random
/// ports so it can run beside a developer's own instance.
/// </summary>
public class AppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    /// <summary>Where the gateway of this app keeps its database.</summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("opeachat-app-data-").FullName;

    public Uri WebBaseUri => App.GetEndpoint("web", "http");

    public Uri ChatQnABaseUri => App.GetEndpoint("chatqna", "http");

    public Uri InferenceBaseUri => App.GetEndpoint("inference", "http");

    /// <summary>The model the app is started with (empty: none); a subclass may point it elsewhere.</summary>
    protected virtual string ModelPath => TestModel.Path;

    /// <summary>The folder searched for models when <see cref="ModelPath"/> is empty.</summary>
    protected virtual string ModelsDirectory => System.IO.Path.Combine(RepositoryPaths.Root, "models");

    /// <summary>
    /// Inference's KV cache in tokens, shared by its 4 sequences. 2048 (512 a reply) keeps the browser tests' replies to
    /// the test model short: the page, not the model, is what they test, and it draws a long reply slowly.
    /// </summary>
    protected virtual int InferenceContextSize => 2048;

    /// <summary>Resources that must be healthy before tests run.</summary>
    protected virtual IReadOnlyList<string> HealthyResources => ["inference", "chatqna", "web"];

    /// <summary>The key the app's inference asks for (the AppHost's inference-api-key parameter, fixed for the tests).</summary>
    public const string InferenceApiKey = "opeachat-test-inference-key";

    /// <summary>A client of one resource; one for inference carries its key.</summary>
    public HttpClient CreateHttpClient(string resource)
    {
        var client = App.CreateHttpClient(resource, "http");
        if (resource == "inference")
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", InferenceApiKey);
        }

        return client;
    }

    /// <summary>Lets a fixture change the app model before it starts (for example a resource's environment).</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpeaChat_AppHost>(
            [
                "DOTNET_LAUNCH_PROFILE=http",
                $"OPEACHAT_MODEL={ModelPath}",
                $"OpeaChat:ModelsDirectory={ModelsDirectory}",
                "OpeaChat:FixedPorts=false",
                "DcpPublisher:WaitForResourceCleanup=false",
                $"Parameters:inference-api-key={InferenceApiKey}",
            ],
            timeout.Token);

        // The gateway's conversations go to a folder of the test's own, never into a developer's database.
        var chatqna = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "chatqna");
        builder.CreateResourceBuilder(chatqna).WithEnvironment("ChatQnA__DataDirectory", DataDirectory);
        var inference = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "inference");
        builder.CreateResourceBuilder(inference).WithEnvironment("Inference__ContextSize", InferenceContextSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Configure(builder);
        _app = await builder.BuildAsync(timeout.Token).WaitAsync(StartTimeout);
        await _app.StartAsync(timeout.Token).WaitAsync(StartTimeout);
        foreach (var resource in HealthyResources)
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token).WaitAsync(StartTimeout);
        }

        await WaitForRunningAsync(timeout.Token);
    }

    private async Task WaitForRunningAsync(CancellationToken cancellationToken)
    {
        foreach (var resource in new[] { "inference", "chatqna", "web" })
        {
            await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.Running, cancellationToken).WaitAsync(StartTimeout);
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "App";
}

/// <summary>The app started with no model at all (an empty models folder): everything runs, inference says what to do.</summary>
public sealed class NoModelAppFixture : AppFixture
{
    public string EmptyModelsDirectory { get; } = Directory.CreateTempSubdirectory("opeachat-no-models-").FullName;

    protected override string ModelPath => string.Empty;

    protected override string ModelsDirectory => EmptyModelsDirectory;

    protected override IReadOnlyList<string> HealthyResources => ["web"];
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NoModelAppCollection : ICollectionFixture<NoModelAppFixture>
{
    public const string Name = "NoModelApp";
}
