using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using OpeaChat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OpeaChat.Tests.EndToEnd;

/// <summary>
/// The whole app with no model at all, its inference pulling from a loopback Hugging Face hub (HF_ENDPOINT) that serves
/// the test model, and a recommended list (Inference:RecommendedModels) whose first entry is that model.
/// </summary>
public sealed class PullAppFixture : AppFixture, IAsyncLifetime
{
    public string EmptyModelsDirectory { get; } = Directory.CreateTempSubdirectory("opeachat-pull-models-").FullName;

    protected override string ModelPath => string.Empty;

    protected override string ModelsDirectory => EmptyModelsDirectory;

    // Inference is not healthy until a model is pulled; the page must open before that.
    protected override IReadOnlyList<string> HealthyResources => ["web"];

    public const string Repository = "test-org/Stories-Pull-GGUF";
    public const string ModelId = "Stories-Pull-Q8_0";
    public const string RecommendedName = "Stories 260K (test)";
    public const string SecondRepository = "test-org/Second-GGUF";
    public const string SecondModelId = "Second-Q8_0";

    public FakeHuggingFaceHub Hub { get; private set; } = null!;

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        // Configure is not async; the hub starts in a moment and has no synchronization context to block.
        Hub = FakeHuggingFaceHub.StartAsync().GetAwaiter().GetResult();
        Hub.AddTestModel(Repository, ModelId + ".gguf");
        Hub.AddTestModel(SecondRepository, SecondModelId + ".gguf");
        var inference = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "inference");
        builder.CreateResourceBuilder(inference)
            .WithEnvironment("HF_ENDPOINT", Hub.Endpoint)
            .WithEnvironment("Inference__Download__FreeSpaceMarginBytes", "0")
            .WithEnvironment("Inference__RecommendedModels__0__Model", $"hf.co/{Repository}:Q8_0")
            .WithEnvironment("Inference__RecommendedModels__0__Name", RecommendedName)
            .WithEnvironment("Inference__RecommendedModels__0__Description", "The tiny test model, from the loopback hub.")
            .WithEnvironment("Inference__RecommendedModels__0__Purpose", "chat")
            .WithEnvironment("Inference__RecommendedModels__0__SizeBytes", new FileInfo(TestModel.Path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Inference__RecommendedModels__0__MemoryBytes", "8388608")
            .WithEnvironment("Inference__RecommendedModels__0__License", "MIT");
    }

    /// <summary>The app first, then the hub it pulled from, then the models it pulled.</summary>
    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Hub is not null)
        {
            await Hub.DisposeAsync();
        }

        Directory.Delete(EmptyModelsDirectory, recursive: true);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PullAppCollection : ICollectionFixture<PullAppFixture>
{
    public const string Name = "PullApp";
}

/// <summary>
/// A person with no model opens the chat, pulls the offered model, watches it come, and chats; then, in the models
/// drawer, pulls another by name and deletes the one in use after the stronger confirmation.
/// </summary>
[Collection(PullAppCollection.Name)]
public sealed class ModelPullPageTests(PullAppFixture app, ITestOutputHelper output)
{
    [Fact]
    public async Task With_no_model_the_page_offers_one_shows_its_progress_across_a_reload_then_chats_and_the_drawer_manages_models()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.NewPageAsync(log: output.WriteLine);
        var driver = new ChatPageDriver(app.WebBaseUri, output.WriteLine);
        await driver.RunAsync(page, "model-pull-failure.png", async () =>
        {
            await driver.OpenAsync(page, "/");

            // The offer: the recommended model with what a person needs to choose it.
            var offer = page.Locator($"#first-run-models .recommended-model[data-model='hf.co/{PullAppFixture.Repository}:Q8_0']");
            await offer.WaitForAsync(new() { Timeout = 60_000 });
            var facts = await offer.InnerTextAsync();
            output.WriteLine(facts);
            Assert.Contains(PullAppFixture.RecommendedName, facts, StringComparison.Ordinal);
            Assert.Contains("Chat", facts, StringComparison.Ordinal);
            Assert.Contains("MIT", facts, StringComparison.Ordinal);
            Assert.Contains("8 MB", facts, StringComparison.Ordinal); // the memory it needs
            Assert.True(await page.Locator("#send-button[disabled]").CountAsync() == 1, "nothing to send to before a model is there");

            // The hub holds the file part-way, as a slow network would, so there is progress to watch.
            app.Hub.PauseAfterBytes = 256 * 1024;
            // The card's own Pull button (a <fluent-button>: Playwright finds it by its text, not by an ARIA role).
            await offer.Locator(".recommended-pull", new() { HasText = "Pull" }).ClickAsync();
            var progress = offer.Locator(".pull-progress[data-stage='downloading']");
            await progress.WaitForAsync(new() { Timeout = 60_000 });
            await app.Hub.WaitUntilPausedAsync();
            await page.WaitForFunctionAsync(
                "() => /^[1-9]/.test(document.querySelector('#first-run-models .pull-bytes')?.textContent ?? '')",
                null, new() { Timeout = 30_000 });
            var shown = await progress.InnerTextAsync();
            output.WriteLine(shown);
            Assert.Contains(" of 1.1 MB", shown, StringComparison.Ordinal); // bytes done of the total
            Assert.Contains("Downloading", shown, StringComparison.Ordinal);
            Assert.True(await progress.Locator(".pull-cancel", new() { HasText = "Cancel" }).IsVisibleAsync());
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-model-pulling.png")}");

            // A reload during the pull picks it up again.
            await driver.OpenAsync(page, "/");
            await page.Locator("#first-run-models .pull-progress[data-stage='downloading']").WaitForAsync(new() { Timeout = 60_000 });

            // The rest of the file comes; the chat opens without a reload.
            app.Hub.Resume();
            await page.Locator("#first-run-models").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Detached, Timeout = 120_000 });
            await page.Locator("#model-status.ready").WaitForAsync(new() { Timeout = 120_000 });
            var options = await page.Locator("#model-select option").AllInnerTextsAsync();
            Assert.Contains(options, option => option.StartsWith(PullAppFixture.ModelId, StringComparison.Ordinal));

            await ChatPageDriver.SendAsync(page, "Once upon a time");
            var reply = page.Locator(".chat-message.assistant").Last;
            Assert.Equal("complete", await reply.GetAttributeAsync("data-state"));
            Assert.False(string.IsNullOrWhiteSpace(await reply.Locator(".message-bubble").InnerTextAsync()));

            // The models drawer: the pulled model with its facts, a pull by name, and the delete of the model in use.
            await page.ClickAsync("#models-button");
            var pulled = page.Locator($"#models-list li.model-row[data-model='{PullAppFixture.ModelId}']");
            await pulled.WaitForAsync(new() { Timeout = 30_000 });
            var row = await pulled.InnerTextAsync();
            output.WriteLine(row);
            Assert.Contains("1.1 MB", row, StringComparison.Ordinal);
            Assert.Contains("Loaded", row, StringComparison.Ordinal);

            await page.FillAsync("#models-pull-name", $"{PullAppFixture.SecondRepository}:Q8_0");
            await page.PressAsync("#models-pull-name", "Enter");
            await page.Locator($"#models-list li.model-row[data-model='{PullAppFixture.SecondModelId}']").WaitForAsync(new() { Timeout = 60_000 });
            await page.WaitForFunctionAsync(
                "id => [...document.querySelectorAll('#model-select option')].some(option => option.value === id)",
                PullAppFixture.SecondModelId, new() { Timeout = 30_000 });

            await pulled.Locator(".model-delete").ClickAsync();
            var warning = await pulled.Locator(".model-in-use").InnerTextAsync();
            Assert.Contains("is in use", warning, StringComparison.Ordinal);
            await pulled.Locator(".model-delete-force").ClickAsync();
            await pulled.WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Detached, Timeout = 30_000 });
            Assert.False(File.Exists(Path.Combine(app.EmptyModelsDirectory, PullAppFixture.ModelId + ".gguf")));
            Assert.True(File.Exists(Path.Combine(app.EmptyModelsDirectory, PullAppFixture.SecondModelId + ".gguf")));
            // Deleted, the offered model can be pulled again.
            await page.Locator($"#models-content .recommended-model[data-model='hf.co/{PullAppFixture.Repository}:Q8_0'] .recommended-pull")
                .WaitForAsync(new() { Timeout = 30_000 });
            output.WriteLine($"Screenshot: {await Browser.SaveScreenshotAsync(page, "chat-models-panel.png")}");
        });
    }
}
