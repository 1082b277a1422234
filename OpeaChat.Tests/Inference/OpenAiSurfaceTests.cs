using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.Inference;

[Collection(InProcessHostCollection.Name)]
public sealed class OpenAiSurfaceTests(InferenceServerFixture server) : IClassFixture<InferenceServerFixture>
{
    private HttpClient Client => server.Host.Client;

    [Fact]
    public async Task Models_list_the_test_model_with_metadata_from_the_file()
    {
        var model = await GetModelAsync(Client, "stories260K");

        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal("llama", model.GetProperty("architecture").GetString());
        Assert.Equal(512, model.GetProperty("vocabulary_size").GetInt64());
        Assert.Equal(5, model.GetProperty("block_count").GetInt64());
        Assert.Equal(2048, model.GetProperty("context_length").GetInt64());
        Assert.Equal(new FileInfo(TestModel.Path).Length, model.GetProperty("file_size").GetInt64());
        Assert.False(model.GetProperty("chat_template").GetBoolean());
        Assert.True(model.GetProperty("loaded").GetBoolean());
        Assert.InRange(model.GetProperty("parameters").GetInt64(), 200_000, 320_000);
        Assert.False(string.IsNullOrEmpty(model.GetProperty("quantization").GetString()));
    }

    [Fact]
    public async Task The_official_openai_client_works_unchanged_streaming_and_not()
    {
        var client = new ChatClient("stories260K", new ApiKeyCredential("not-needed"), new OpenAIClientOptions { Endpoint = new Uri(server.Host.BaseAddress, "/v1") });
#pragma warning disable OPENAI001 // Seed is marked experimental in the client; the server honours it.
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, Seed = 5 };
#pragma warning restore OPENAI001

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Once upon a time")], options);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Once upon a time")], options))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(completion.Content[0].Text, streamed.ToString());
    }

    [Fact]
    public async Task The_next_turn_of_a_chat_reuses_the_cached_prefix()
    {
        var first = await ChatAsync(Client, new { messages = User("Once upon a time there was a little fox who"), max_tokens = 16, seed = 3 });
        var second = await ChatAsync(Client, new
        {
            messages = new[]
            {
                new { role = "user", content = "Once upon a time there was a little fox who" },
                new { role = "assistant", content = first.Text },
                new { role = "user", content = "What happened next?" },
            },
            max_tokens = 8,
            seed = 3,
        });

        Assert.Equal(0, first.CachedTokens);
        Assert.True(second.CachedTokens >= first.PromptTokens - 1, $"{second.CachedTokens} of {second.PromptTokens} prompt tokens were reused; the first turn had {first.PromptTokens}");
    }

    [Fact]
    public async Task Text_completions_continue_a_raw_prompt()
    {
        using var response = await Client.PostAsJsonAsync("/v1/completions", new { prompt = "Once upon a time", max_tokens = 10, ignore_eos = true });

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("text_completion", json.RootElement.GetProperty("object").GetString());
        var choice = json.RootElement.GetProperty("choices")[0];
        Assert.False(string.IsNullOrEmpty(choice.GetProperty("text").GetString()));
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(10, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Embeddings_are_normalised_vectors_of_the_model_width()
    {
        using var response = await Client.PostAsJsonAsync("/v1/embeddings", new { input = new[] { "The cat sat.", "A dog ran in the park." } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var vectors = json.RootElement.GetProperty("data").EnumerateArray()
            .Select(item => item.GetProperty("embedding").EnumerateArray().Select(value => value.GetSingle()).ToArray()).ToArray();
        Assert.Equal(2, vectors.Length);
        Assert.All(vectors, vector => Assert.Equal(64, vector.Length));
        Assert.All(vectors, vector => Assert.InRange(Math.Sqrt(vector.Sum(value => value * value)), 0.99, 1.01));
        Assert.NotEqual(vectors[0], vectors[1]);
        Assert.True(json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 4);
    }

    [Fact]
    public async Task Json_mode_constrains_the_output_to_json()
    {
        var reply = await ChatAsync(Client, new { messages = User("Describe a cat as JSON."), max_tokens = 120, seed = 2, response_format = new { type = "json_object" } });

        Assert.StartsWith("{", reply.Text, StringComparison.Ordinal);
        if (reply.FinishReason == "stop")
        {
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(reply.Text).RootElement.ValueKind);
        }
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_and_the_server_keeps_serving()
    {
        var huge = new string('a', 8192);
        using var response = await Client.PostAsJsonAsync("/v1/chat/completions", new { messages = User(huge) });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("request_too_large", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(200, (await ChatAsync(Client, new { messages = User("Once"), max_tokens = 2 })).Status);
    }

    [Fact]
    public async Task Embeddings_without_input_name_the_field()
    {
        using var response = await Client.PostAsJsonAsync("/v1/embeddings", new { model = "stories260K" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("input", json.RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}
