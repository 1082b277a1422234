using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.Inference;

/// <summary>Several model files in one folder: listing, switching by name, LRU unloading, and names that try to escape.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ModelSwitchingTests : IDisposable
{
    private readonly DirectoryInfo _models = Directory.CreateTempSubdirectory("opeachat-switch-");
    private readonly DirectoryInfo _outside = Directory.CreateTempSubdirectory("opeachat-outside-");

    public ModelSwitchingTests()
    {
        File.Copy(TestModel.Path, Path.Combine(_models.FullName, "storiesA.gguf"));
        File.Copy(TestModel.Path, Path.Combine(_models.FullName, "storiesB.gguf"));
        File.Copy(TestModel.Path, Path.Combine(_outside.FullName, "secret.gguf"));
        File.CreateSymbolicLink(Path.Combine(_models.FullName, "escape.gguf"), Path.Combine(_outside.FullName, "secret.gguf"));
    }

    private InferenceHost StartHost() => InferenceHost.Start(("ModelPath", ""), ("ModelsDirectory", _models.FullName), ("MaxLoadedModels", "1"));

    [Fact]
    public async Task Requests_pick_a_model_by_name_and_loading_another_unloads_the_least_recently_used()
    {
        using var host = StartHost();
        await host.WaitUntilReadyAsync();

        var a = await ChatAsync(host.Client, new { model = "storiesA", messages = User("Once upon a time"), max_tokens = 4 });
        Assert.Equal(200, a.Status);
        Assert.Equal("storiesA", a.Body.GetProperty("model").GetString());

        // B is not loaded: the first request starts loading it and says so; a later one is served by it.
        var first = await ChatAsync(host.Client, new { model = "storiesB", messages = User("Once upon a time"), max_tokens = 4 });
        Assert.Equal(503, first.Status);
        Assert.Equal("model_loading", first.Body.GetProperty("error").GetProperty("code").GetString());
        await WaitForModelAsync(host.Client, "storiesB", model => model.GetProperty("loaded").GetBoolean(), TimeSpan.FromSeconds(30));
        var b = await ChatAsync(host.Client, new { model = "storiesB", messages = User("Once upon a time"), max_tokens = 4 });
        Assert.Equal("storiesB", b.Body.GetProperty("model").GetString());

        await WaitForModelAsync(host.Client, "storiesA", model => !model.GetProperty("loaded").GetBoolean(), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Operators_can_load_and_unload_models()
    {
        using var host = StartHost();
        await host.WaitUntilReadyAsync();

        using var load = await host.Client.PostAsync("/v1/models/storiesB/load", null);
        Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        Assert.Equal("loaded", JsonDocument.Parse(await load.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());

        using var unload = await host.Client.PostAsync("/v1/models/storiesB/unload", null);
        Assert.Equal(HttpStatusCode.OK, unload.StatusCode);
        Assert.Equal("unloaded", JsonDocument.Parse(await unload.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());

        using var unknown = await host.Client.PostAsync("/v1/models/nope/load", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_list_has_every_model_in_the_folder_and_nothing_outside_it()
    {
        using var host = StartHost();
        await host.WaitUntilReadyAsync();

        using var response = await host.Client.GetAsync("/v1/models");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var ids = json.RootElement.GetProperty("data").EnumerateArray().Select(model => model.GetProperty("id").GetString()!).ToArray();

        Assert.Equal(["storiesA", "storiesB"], ids);
    }

    [Theory]
    [InlineData("escape")]
    [InlineData("../storiesA")]
    [InlineData("..%2FstoriesA")]
    [InlineData("/etc/passwd")]
    [InlineData("storiesA.gguf")]
    public async Task Names_that_reach_outside_the_folder_are_not_found(string name)
    {
        using var host = StartHost();
        await host.WaitUntilReadyAsync();

        var reply = await ChatAsync(host.Client, new { model = name, messages = User("Once"), max_tokens = 2 });

        Assert.Equal(404, reply.Status);
        Assert.Equal("model_not_found", reply.Body.GetProperty("error").GetProperty("code").GetString());
    }

    public void Dispose()
    {
        _models.Delete(recursive: true);
        _outside.Delete(recursive: true);
    }
}
