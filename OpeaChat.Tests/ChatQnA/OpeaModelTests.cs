using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpeaChat.Contracts.Opea;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>
/// The <c>model</c> of a <c>/v1/chatqna</c> request: ignored as OPEA's megaservice ignores it (its UI always names
/// Llama 3), unless <c>ChatQnA:StrictModel</c> is on; the OpenAI door always passes it on.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class OpeaModelTests(InferenceServerFixture inference) : IClassFixture<InferenceServerFixture>
{
    private const string OpeaUiModel = "meta-llama/Meta-Llama-3-8B-Instruct";
    private const string ServedModel = "stories260K";

    [Fact]
    public async Task The_opea_uis_model_is_ignored_and_the_answer_streams()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { model = OpeaUiModel, messages = "Once upon a time", max_tokens = 8 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = await OpeaStream.ReadDataLinesAsync(response);
        Assert.Equal(ChatQnAStream.Done, lines[^1]);
        Assert.NotEmpty(lines.SkipLast(1));
        Assert.All(lines.SkipLast(1), line => Assert.Matches(OpeaStream.BytesLiteral(), line));
    }

    [Fact]
    public async Task The_opea_uis_model_is_ignored_and_the_answer_names_the_model_that_answered()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { model = OpeaUiModel, messages = "Once upon a time", max_tokens = 8, stream = false });

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(ServedModel, JsonDocument.Parse(body).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task With_strict_model_an_unknown_model_is_404_in_opeas_shape()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress, ("StrictModel", "true"));

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { model = OpeaUiModel, messages = "Once upon a time", max_tokens = 8 });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail");
        Assert.Equal(JsonValueKind.String, detail.ValueKind);
        Assert.Contains(OpeaUiModel, detail.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_strict_model_the_served_model_answers_by_name()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress, ("StrictModel", "true"));

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { model = ServedModel, messages = "Once upon a time", max_tokens = 8, stream = false });

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(ServedModel, JsonDocument.Parse(body).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task The_gateways_default_model_is_asked_for_instead_of_the_requests()
    {
        // A default model inference lacks shows which of the two was asked for.
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress, ("DefaultModel", "no-such-default"));

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { model = ServedModel, messages = "Once upon a time", max_tokens = 8, stream = false });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no-such-default", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_conversations_model_is_asked_for_instead_of_the_requests()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);
        using var created = await gateway.Client.PostAsJsonAsync("/v1/conversations", new { model = "no-such-conversation-model" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        using var response = await gateway.Client.PostAsJsonAsync("/v1/chatqna", new { conversation_id = id, model = ServedModel, messages = "Once upon a time", max_tokens = 8, stream = false });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no-such-conversation-model", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openai_door_still_passes_the_model_on_and_an_unknown_one_is_404()
    {
        using var gateway = GatewayHost.Start(inference.Host.BaseAddress);

        var reply = await ChatAsync(gateway.Client, new { model = OpeaUiModel, messages = User("Once upon a time"), max_tokens = 8 });

        Assert.Equal(404, reply.Status);
        Assert.Equal("model_not_found", reply.Body.GetProperty("error").GetProperty("code").GetString());
    }
}
