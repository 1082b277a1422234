using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.Inference.Models.Pulls;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.Inference.Pulls;

/// <summary>
/// Pulls from a loopback Hugging Face hub (<see cref="FakeHuggingFaceHub"/>) into a real inference server's empty
/// models folder: the happy path to a chat, resuming, checks, the hub's refusals, cancelling, split models, deleting.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ModelPullTests
{
    private const string Repo = "test-org/Stories-260K-GGUF";
    private const string Q4File = "Stories-260K-Q4_K_M.gguf";
    private const string Q8File = "Stories-260K-Q8_0.gguf";

    private static readonly byte[] ModelBytes = File.ReadAllBytes(TestModel.Path);

    private static void TwoQuantizations(FakeHuggingFaceHub hub, DirectoryInfo models)
    {
        hub.AddTestModel(Repo, Q4File);
        hub.AddTestModel(Repo, Q8File);
    }

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static string Code(JsonElement body) =>
        body.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString()! : throw new InvalidOperationException($"No error in {body}");

    [Fact]
    public async Task A_pull_ends_ready_and_the_pulled_model_answers_a_chat()
    {
        await using var scenario = await PullScenario.StartAsync(TwoQuantizations);
        using (var before = await scenario.Client.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        }

        using var response = await scenario.StartStreamAsync("hf.co/test-org/Stories-260K-GGUF");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var events = await PullScenario.ReadEventsAsync(response);

        var final = events[^1];
        Assert.Equal("ready", final.GetProperty("stage").GetString());
        Assert.Equal("Stories-260K-Q4_K_M", final.GetProperty("id").GetString());
        Assert.Equal("hf.co/test-org/Stories-260K-GGUF:Q4_K_M", final.GetProperty("model").GetString());
        Assert.Equal(ModelBytes.Length, final.GetProperty("bytes_done").GetInt64());
        Assert.Equal(ModelBytes.Length, final.GetProperty("bytes_total").GetInt64());
        Assert.Contains(events, e => e.GetProperty("stage").GetString() == "downloading");
        Assert.Contains(events, e => e.GetProperty("stage").GetString() == "verifying");
        Assert.Single(events, e => e.GetProperty("stage").GetString() == "ready");

        // Only the named quantisation came, whole and under its own name; nothing half-written is left.
        Assert.Equal([Q4File], scenario.Files());
        Assert.Equal(TestModel.Sha256, Sha(Path.Combine(scenario.Models.FullName, Q4File)));
        Assert.Single(scenario.Hub.Downloads(Q4File));
        Assert.Empty(scenario.Hub.Downloads(Q8File));

        // No restart: it is listed, it is the default (there was none), it is loaded, and it answers.
        Assert.Equal(["Stories-260K-Q4_K_M"], await scenario.ModelIdsAsync());
        var model = (await scenario.GetJsonAsync("/v1/models")).GetProperty("data")[0];
        Assert.True(model.GetProperty("default").GetBoolean());
        using (var health = await scenario.Client.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        var chat = await ChatAsync(scenario.Client, new { messages = User("Once upon a time"), max_tokens = 8 });
        Assert.Equal(200, chat.Status);
        Assert.Equal("Stories-260K-Q4_K_M", chat.Body.GetProperty("model").GetString());
        Assert.True(chat.CompletionTokens > 0);

        var pulls = await scenario.GetJsonAsync("/v1/models/pulls");
        Assert.Equal("ready", Assert.Single(pulls.GetProperty("data").EnumerateArray()).GetProperty("stage").GetString());
    }

    [Fact]
    public async Task A_pull_cut_midway_resumes_with_a_range_request_and_arrives_whole()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.CutConnectionOnceAfter(300_000);
        });

        var (status, body) = await scenario.PullAsync("hf.co/test-org/Stories-260K-GGUF:Q8_0");

        Assert.Equal(200, status);
        Assert.Equal("ready", body.GetProperty("stage").GetString());
        var downloads = scenario.Hub.Downloads(Q8File);
        Assert.Equal(2, downloads.Count);
        Assert.Null(downloads[0].Range);
        var resumedFrom = long.Parse(downloads[1].Range!.Replace("bytes=", "", StringComparison.Ordinal).TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedFrom, 1, 300_000);
        Assert.Equal([Q8File], scenario.Files());
        Assert.Equal(TestModel.Sha256, Sha(Path.Combine(scenario.Models.FullName, Q8File)));
    }

    [Fact]
    public async Task A_part_left_by_an_earlier_run_is_resumed_and_the_whole_file_checked()
    {
        const int half = 500_000;
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            File.WriteAllBytes(Path.Combine(models.FullName, Q8File + ".part"), ModelBytes[..half]);
        });

        var (status, body) = await scenario.PullAsync("test-org/Stories-260K-GGUF:q8_0");

        Assert.Equal(200, status);
        Assert.Equal(half, body.GetProperty("bytes_resumed").GetInt64());
        Assert.Equal($"bytes={half}-", Assert.Single(scenario.Hub.Downloads(Q8File)).Range);
        Assert.Equal(TestModel.Sha256, Sha(Path.Combine(scenario.Models.FullName, Q8File)));
        Assert.Equal([Q8File], scenario.Files());
    }

    [Fact]
    public async Task A_corrupt_part_is_caught_by_the_hash_when_resumed()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            var wrong = ModelBytes[..400_000];
            wrong[1234] ^= 0xFF;
            File.WriteAllBytes(Path.Combine(models.FullName, Q8File + ".part"), wrong);
        });

        var (status, body) = await scenario.PullAsync("test-org/Stories-260K-GGUF:Q8_0");

        Assert.Equal(502, status);
        Assert.Equal("checksum_mismatch", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(scenario.Files());
    }

    [Fact]
    public async Task A_server_that_ignores_range_sends_the_whole_file_again()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.IgnoreRange = true;
            File.WriteAllBytes(Path.Combine(models.FullName, Q8File + ".part"), ModelBytes[..300_000]);
        });

        var (status, body) = await scenario.PullAsync("test-org/Stories-260K-GGUF:Q8_0");

        Assert.Equal(200, status);
        Assert.Equal(0, body.GetProperty("bytes_resumed").GetInt64());
        Assert.Equal(ModelBytes.Length, body.GetProperty("bytes_done").GetInt64());
        Assert.Equal(TestModel.Sha256, Sha(Path.Combine(scenario.Models.FullName, Q8File)));
    }

    [Fact]
    public async Task A_file_whose_hash_is_wrong_is_refused_and_nothing_is_left()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.WrongHash = true;
        });

        var (status, body) = await scenario.PullAsync("hf.co/test-org/Stories-260K-GGUF:Q8_0");

        Assert.Equal(502, status);
        Assert.Equal("failed", body.GetProperty("stage").GetString());
        Assert.Equal("checksum_mismatch", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(scenario.Files());
        Assert.Empty(await scenario.ModelIdsAsync());
    }

    [Fact]
    public async Task Two_pulls_of_one_file_download_it_once()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.PauseAfterBytes = 100_000;
        });

        using var first = await scenario.StartStreamAsync("hf.co/test-org/Stories-260K-GGUF:Q8_0");
        await scenario.Hub.WaitUntilPausedAsync();
        // Another spelling of the same file: the headers come once it has joined the running pull.
        using var second = await scenario.StartStreamAsync("huggingface.co/test-org/Stories-260K-GGUF:Stories-260K-Q8_0.gguf", ndjson: true);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        scenario.Hub.Resume();

        var firstEvents = await PullScenario.ReadEventsAsync(first);
        var secondEvents = await PullScenario.ReadNdjsonAsync(second);

        Assert.Equal("ready", firstEvents[^1].GetProperty("stage").GetString());
        Assert.Equal("ready", secondEvents[^1].GetProperty("stage").GetString());
        Assert.Equal(firstEvents[^1].GetProperty("started_at").GetString(), secondEvents[^1].GetProperty("started_at").GetString());
        Assert.Single(scenario.Hub.Downloads(Q8File));
        Assert.Single((await scenario.GetJsonAsync("/v1/models/pulls")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task A_pull_streams_ndjson_when_asked()
    {
        await using var scenario = await PullScenario.StartAsync(TwoQuantizations);

        using var response = await scenario.StartStreamAsync("test-org/Stories-260K-GGUF:Q8_0", ndjson: true);

        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        var lines = await PullScenario.ReadNdjsonAsync(response);
        Assert.True(lines.Length >= 2);
        Assert.All(lines, line => Assert.Equal("Stories-260K-Q8_0", line.GetProperty("id").GetString()));
        Assert.Equal("ready", lines[^1].GetProperty("stage").GetString());
        var done = lines.Select(line => line.GetProperty("bytes_done").GetInt64()).ToArray();
        Assert.Equal(done.Order(), done);
    }

    [Fact]
    public async Task A_repository_that_needs_a_token_answers_401_and_the_token_reaches_the_hub_only_never_the_logs()
    {
        await using (var without = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.RequiredToken = "hf_secret";
        }))
        {
            var (status, body) = await without.PullAsync("hf.co/test-org/Stories-260K-GGUF");
            Assert.Equal(401, status);
            Assert.Equal("unauthorized", Code(body));
            Assert.Contains("HF_TOKEN", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Empty(without.Files());
        }

        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var with = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.RequiredToken = "hf_secret";
        }, new Dictionary<string, string?> { ["HF_TOKEN"] = "hf_secret", ["Logging:LogLevel:Default"] = "Trace" },
            services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(new CapturingLoggerProvider(logs)));

        var (ok, _) = await with.PullAsync("hf.co/test-org/Stories-260K-GGUF");

        Assert.Equal(200, ok);
        // Every line at every level, the HTTP client's included: the token is in none.
        Assert.Contains(logs, line => line.Contains("Stories-260K", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, line => line.Contains("hf_secret", StringComparison.Ordinal));
        Assert.All(with.Hub.Requests.Where(request => request.Server == "hub"), request => Assert.Equal("Bearer hf_secret", request.Authorization));
        var download = Assert.Single(with.Hub.Downloads(Q4File));
        Assert.Null(download.Authorization);
    }

    [Fact]
    public async Task A_gated_repository_answers_403_with_the_page_to_accept_the_licence()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.Gate(Repo);
        });

        var (status, body) = await scenario.PullAsync("hf.co/test-org/Stories-260K-GGUF");

        Assert.Equal(403, status);
        Assert.Equal("gated", Code(body));
        var message = body.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains($"{scenario.Hub.Endpoint}/{Repo}", message, StringComparison.Ordinal);
        Assert.Contains("HF_TOKEN", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repository_that_does_not_exist_answers_404()
    {
        await using var scenario = await PullScenario.StartAsync(TwoQuantizations);

        var (status, body) = await scenario.PullAsync("hf.co/nobody/Nothing-GGUF:Q4_K_M");

        Assert.Equal(404, status);
        Assert.Equal("not_found", Code(body));
        Assert.Equal("model", body.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task A_quantisation_the_repository_lacks_answers_404_with_those_it_has()
    {
        await using var scenario = await PullScenario.StartAsync(TwoQuantizations);

        var (status, body) = await scenario.PullAsync("hf.co/test-org/Stories-260K-GGUF:Q5_K_S");

        Assert.Equal(404, status);
        Assert.Equal("quantization_not_found", Code(body));
        var available = body.GetProperty("error").GetProperty("available").EnumerateArray().Select(item => item.GetString()!).ToArray();
        Assert.Equal(["Q4_K_M", "Q8_0"], available);
        Assert.DoesNotContain(scenario.Hub.Requests, request => request.Server == "cdn");
    }

    [Fact]
    public async Task A_full_disk_answers_507_before_anything_is_fetched()
    {
        await using var scenario = await PullScenario.StartAsync(TwoQuantizations,
            services: services => services.AddSingleton<IFreeSpaceProbe>(new FixedFreeSpace(ModelBytes.Length / 2)));

        var (status, body) = await scenario.PullAsync("hf.co/test-org/Stories-260K-GGUF:Q8_0");

        Assert.Equal(507, status);
        Assert.Equal("insufficient_storage", Code(body));
        Assert.DoesNotContain(scenario.Hub.Requests, request => request.Server == "cdn");
        Assert.Empty(scenario.Files());
    }

    [Fact]
    public async Task A_cancelled_pull_leaves_nothing_and_the_client_leaving_does_not_cancel()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.PauseAfterBytes = 200_000;
        });

        // The first client leaves mid-way: the pull goes on without it.
        var leaving = await scenario.StartStreamAsync("hf.co/test-org/Stories-260K-GGUF:Q8_0");
        await scenario.Hub.WaitUntilPausedAsync();
        leaving.Dispose();
        var listed = await scenario.GetJsonAsync("/v1/models/pulls");
        Assert.Equal("downloading", Assert.Single(listed.GetProperty("data").EnumerateArray()).GetProperty("stage").GetString());
        Assert.Contains(Q8File + ".part", scenario.Files());

        using var follower = await scenario.StartStreamAsync("hf.co/test-org/Stories-260K-GGUF:Q8_0");
        using var cancel = await scenario.Client.DeleteAsync(new Uri("/v1/models/pulls/Stories-260K-Q8_0", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", JsonDocument.Parse(await cancel.Content.ReadAsStringAsync()).RootElement.GetProperty("stage").GetString());
        Assert.Equal("cancelled", (await PullScenario.ReadEventsAsync(follower))[^1].GetProperty("stage").GetString());
        Assert.Empty(scenario.Files());
        Assert.Empty(await scenario.ModelIdsAsync());
        using var again = await scenario.Client.DeleteAsync(new Uri("/v1/models/pulls/Stories-260K-Q8_0", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task A_split_model_pulls_every_part_is_listed_once_and_is_deleted_whole()
    {
        string[] parts = ["Stories-Q8_0-00001-of-00003.gguf", "Stories-Q8_0-00002-of-00003.gguf", "Stories-Q8_0-00003-of-00003.gguf"];
        var third = ModelBytes.Length / 3;
        // The default chat model stays the shared test model (outside the folder); the split model is only pulled.
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            hub.AddFile("test-org/Split-GGUF", parts[0], ModelBytes[..third]);
            hub.AddFile("test-org/Split-GGUF", parts[1], ModelBytes[third..(2 * third)]);
            hub.AddFile("test-org/Split-GGUF", parts[2], ModelBytes[(2 * third)..]);
        }, new Dictionary<string, string?> { ["Inference:ModelPath"] = TestModel.Path });

        var (status, body) = await scenario.PullAsync("hf.co/test-org/Split-GGUF:Q8_0");

        Assert.Equal(200, status);
        Assert.Equal(parts, body.GetProperty("files").EnumerateArray().Select(file => file.GetString()));
        Assert.Equal(ModelBytes.Length, body.GetProperty("bytes_done").GetInt64());
        Assert.Equal(parts, scenario.Files());
        Assert.Equal(ModelBytes, parts.SelectMany(part => File.ReadAllBytes(Path.Combine(scenario.Models.FullName, part))).ToArray());
        var ids = await scenario.ModelIdsAsync();
        Assert.Single(ids, id => id.StartsWith("Stories-Q8_0", StringComparison.Ordinal));
        Assert.Contains("Stories-Q8_0-00001-of-00003", ids);

        using var delete = await scenario.Client.DeleteAsync(new Uri("/v1/models/Stories-Q8_0-00001-of-00003", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        var deleted = JsonDocument.Parse(await delete.Content.ReadAsStringAsync()).RootElement;
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        Assert.Equal(parts, deleted.GetProperty("files").EnumerateArray().Select(file => file.GetString()));
        Assert.Empty(scenario.Files());
        Assert.DoesNotContain("Stories-Q8_0-00001-of-00003", await scenario.ModelIdsAsync());

        // The configured model outside the folder is never deleted.
        using var configured = await scenario.Client.DeleteAsync(new Uri("/v1/models/stories260K?force=true", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Conflict, configured.StatusCode);
        Assert.True(File.Exists(TestModel.Path));
    }

    [Fact]
    public async Task Deleting_the_loaded_default_needs_force_and_then_removes_it()
    {
        await using var scenario = await PullScenario.StartAsync(TwoQuantizations);
        Assert.Equal(200, (await scenario.PullAsync("hf.co/test-org/Stories-260K-GGUF:Q8_0")).Status);

        using var refused = await scenario.Client.DeleteAsync(new Uri("/v1/models/Stories-260K-Q8_0", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("model_in_use", Code(error));
        Assert.Contains("force=true", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal([Q8File], scenario.Files());

        using var forced = await scenario.Client.DeleteAsync(new Uri("/v1/models/Stories-260K-Q8_0?force=true", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.Empty(scenario.Files());
        Assert.Empty(await scenario.ModelIdsAsync());
        using var health = await scenario.Client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        using var unknown = await scenario.Client.DeleteAsync(new Uri("/v1/models/Stories-260K-Q8_0", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData("{\"model\":\"llama3\"}")]
    [InlineData("{\"model\":\"hf.co/only-org\"}")]
    [InlineData("{\"model\":\"org/repo:../../etc/passwd.gguf\"}")]
    [InlineData("{}")]
    public async Task A_bad_reference_answers_400_naming_the_field(string json)
    {
        await using var scenario = await PullScenario.StartAsync(TwoQuantizations);

        using var response = await scenario.Client.PostAsync("/v1/models/pull", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Empty(scenario.Hub.Requests);
    }

    [Fact]
    public async Task The_recommended_models_come_from_settings()
    {
        await using var scenario = await PullScenario.StartAsync();

        var list = (await scenario.GetJsonAsync("/v1/models/recommended")).GetProperty("data").EnumerateArray().ToArray();

        Assert.Contains(list, model => model.GetProperty("model").GetString() == "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M"
            && model.GetProperty("purpose").GetString() == "chat" && model.GetProperty("size_bytes").GetInt64() > 1_000_000_000);
        Assert.Contains(list, model => model.GetProperty("purpose").GetString() == "embeddings");
        Assert.All(list, model =>
        {
            Assert.True(ModelReference.TryParse(model.GetProperty("model").GetString(), out _, out var problem), problem);
            Assert.False(string.IsNullOrEmpty(model.GetProperty("license").GetString()));
        });
    }

    [Fact]
    public async Task The_start_up_pull_reports_progress_in_health_and_then_serves()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            hub.PauseAfterBytes = 300_000;
        }, new Dictionary<string, string?> { ["Inference:Pull"] = "hf.co/test-org/Stories-260K-GGUF:Q8_0" });

        await scenario.Hub.WaitUntilPausedAsync();
        using (var pulling = await scenario.Client.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, pulling.StatusCode);
            Assert.Contains("pulling Stories-260K-Q8_0", await pulling.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        scenario.Hub.Resume();
        await scenario.WaitUntilHealthyAsync();
        var chat = await ChatAsync(scenario.Client, new { messages = User("Once upon a time"), max_tokens = 4 });
        Assert.Equal(200, chat.Status);
        Assert.Equal("Stories-260K-Q8_0", chat.Body.GetProperty("model").GetString());
    }

    [Fact]
    public async Task The_start_up_pull_skips_a_model_already_there()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            File.Copy(TestModel.Path, Path.Combine(models.FullName, Q8File));
        }, new Dictionary<string, string?> { ["Inference:Pull"] = "hf.co/test-org/Stories-260K-GGUF:Q8_0" });

        await scenario.WaitUntilHealthyAsync();

        Assert.Empty(scenario.Hub.Requests);
        Assert.Empty((await scenario.GetJsonAsync("/v1/models/pulls")).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task A_model_pulled_on_an_earlier_start_serves_when_the_configured_file_is_missing()
    {
        // Compose sets Inference:ModelPath from MODEL_FILE; beside OPEACHAT_PULL it may name a file that never came.
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            File.Copy(TestModel.Path, Path.Combine(models.FullName, Q8File));
        }, new Dictionary<string, string?>
        {
            ["Inference:Pull"] = "hf.co/test-org/Stories-260K-GGUF:Q8_0",
            ["Inference:ModelPath"] = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.gguf"),
        });

        await scenario.WaitUntilHealthyAsync();
        var chat = await ChatAsync(scenario.Client, new { messages = User("Once upon a time"), max_tokens = 4 });

        Assert.Equal(200, chat.Status);
        Assert.Equal("Stories-260K-Q8_0", chat.Body.GetProperty("model").GetString());
        Assert.Empty(scenario.Hub.Requests);
    }

    [Fact]
    public async Task Pulling_a_model_already_there_answers_ready_without_fetching_it()
    {
        await using var scenario = await PullScenario.StartAsync((hub, models) =>
        {
            TwoQuantizations(hub, models);
            File.Copy(TestModel.Path, Path.Combine(models.FullName, Q8File));
        });

        var (status, body) = await scenario.PullAsync("hf.co/test-org/Stories-260K-GGUF:Q8_0");

        Assert.Equal(200, status);
        Assert.Equal("ready", body.GetProperty("stage").GetString());
        Assert.Equal(ModelBytes.Length, body.GetProperty("bytes_resumed").GetInt64());
        Assert.Empty(scenario.Hub.Downloads(Q8File));
    }

    [Fact]
    public async Task A_pulled_embedding_model_serves_embeddings_when_none_is_set()
    {
        var bert = Path.Combine(Path.GetTempPath(), $"tiny-bert-{Guid.NewGuid():N}.gguf");
        TinyBert.Write(bert, rank: false);
        try
        {
            await using var scenario = await PullScenario.StartAsync((hub, models) => hub.AddFile("test-org/tiny-bert-GGUF", "tiny-bert-F16.gguf", File.ReadAllBytes(bert)),
                new Dictionary<string, string?> { ["Inference:ModelPath"] = TestModel.Path });
            await scenario.Host.WaitUntilReadyAsync();

            var (status, _) = await scenario.PullAsync("hf.co/test-org/tiny-bert-GGUF:F16");

            Assert.Equal(200, status);
            var list = await scenario.GetJsonAsync("/v1/models");
            Assert.Equal("tiny-bert-F16", list.GetProperty("embedding_model").GetString());
            // The chat model stays the default: an embedding model never becomes it.
            Assert.Equal("stories260K", list.GetProperty("data").EnumerateArray().Single(model => model.GetProperty("default").GetBoolean()).GetProperty("id").GetString());
            using var embeddings = await scenario.Client.PostAsJsonAsync("/v1/embeddings", new { input = "a red fox" });
            Assert.Equal(HttpStatusCode.OK, embeddings.StatusCode);
            var body = JsonDocument.Parse(await embeddings.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("tiny-bert-F16", body.GetProperty("model").GetString());
            Assert.True(body.GetProperty("data")[0].GetProperty("embedding").GetArrayLength() > 0);
        }
        finally
        {
            File.Delete(bert);
        }
    }

    [Fact]
    public async Task The_pull_endpoints_need_the_api_key_like_the_rest_of_v1()
    {
        await using var scenario = await PullScenario.StartAsync(TwoQuantizations, new Dictionary<string, string?> { ["Inference:ApiKeys:0"] = "inference-key" });

        using var pull = await scenario.Client.PostAsJsonAsync("/v1/models/pull", new { model = "hf.co/test-org/Stories-260K-GGUF", stream = false });
        using var delete = await scenario.Client.DeleteAsync(new Uri("/v1/models/anything", UriKind.Relative));
        using var pulls = await scenario.Client.GetAsync(new Uri("/v1/models/pulls", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, pull.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, pulls.StatusCode);
        Assert.Empty(scenario.Hub.Requests);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models/pulls");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "inference-key");
        using var allowed = await scenario.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    private sealed class FixedFreeSpace(long bytes) : IFreeSpaceProbe
    {
        public long AvailableBytes(string directory) => bytes;
    }
}
