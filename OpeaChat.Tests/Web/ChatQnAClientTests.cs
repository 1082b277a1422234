using System.Net;
using System.Text.Json;
using OpeaChat.Web.Chat;

namespace OpeaChat.Tests.Web;

public sealed class ChatQnAClientTests
{
    private static async Task<string> ReadAllAsync(ChatQnAClient client, IReadOnlyList<OpeaChatMessage> messages)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var piece in client.StreamReplyAsync(messages))
        {
            text.Append(piece);
        }

        return text.ToString();
    }

    [Fact]
    public async Task Posts_the_whole_conversation_as_an_opea_streaming_request()
    {
        var gateway = FakeGateway.Streaming("b'Once'", "b' upon'", "[DONE]");
        var client = gateway.CreateClient(maxTokens: 64);

        var text = await ReadAllAsync(client, [new("user", "Hi"), new("assistant", "Hello!"), new("user", "Tell a story")]);

        Assert.Equal("Once upon", text);
        var request = Assert.Single(gateway.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("http://chatqna/v1/chatqna", request.Uri?.ToString());
        Assert.Equal("application/json", request.ContentType);
        using var json = JsonDocument.Parse(request.Body!);
        var root = json.RootElement;
        Assert.True(root.GetProperty("stream").GetBoolean());
        Assert.Equal(64, root.GetProperty("max_tokens").GetInt32());
        var messages = root.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString()))
            .ToList();
        Assert.Equal([("user", "Hi"), ("assistant", "Hello!"), ("user", "Tell a story")], messages);
    }

    [Fact]
    public async Task A_503_carries_the_gateways_detail()
    {
        var client = FakeGateway.Failing(HttpStatusCode.ServiceUnavailable, """{"detail":"No model is installed. Put a .gguf file into models/."}""").CreateClient();

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(client, [new("user", "Hi")]));

        Assert.Equal(ChatQnAFailure.Unavailable, error.Failure);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal("No model is installed. Put a .gguf file into models/.", error.Message);
    }

    [Fact]
    public async Task A_422_lists_the_validation_messages()
    {
        var client = FakeGateway.Failing(
            HttpStatusCode.UnprocessableEntity,
            """{"detail":[{"loc":["body","messages"],"msg":"List should have at least 1 item"}]}""").CreateClient();

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(client, [new("user", "Hi")]));

        Assert.Equal(ChatQnAFailure.HttpError, error.Failure);
        Assert.Equal("messages: List should have at least 1 item", error.Message);
    }

    [Fact]
    public async Task An_error_without_detail_names_the_status()
    {
        var client = FakeGateway.Failing(HttpStatusCode.InternalServerError, "<html>oops</html>").CreateClient();

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(client, [new("user", "Hi")]));

        Assert.Equal("The chat service answered 500 Internal Server Error.", error.Message);
    }

    [Fact]
    public async Task A_gateway_that_cannot_be_reached_is_unreachable()
    {
        var client = new FakeGateway(_ => throw new HttpRequestException("Connection refused")).CreateClient();

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(client, [new("user", "Hi")]));

        Assert.Equal(ChatQnAFailure.Unreachable, error.Failure);
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task A_reply_without_done_is_cut_off()
    {
        var client = FakeGateway.Streaming("b'Once'").CreateClient();

        var error = await Assert.ThrowsAsync<ChatQnAException>(() => ReadAllAsync(client, [new("user", "Hi")]));

        Assert.Equal(ChatQnAFailure.CutOff, error.Failure);
    }

    [Fact]
    public async Task Health_ok_is_ready()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Respond(HttpStatusCode.OK, """{"status":"ok"}""", "application/json"));

        var health = await gateway.CreateClient().GetHealthAsync();

        Assert.True(health.IsReady);
        Assert.Equal("http://chatqna/health", gateway.Requests.Single().Uri?.ToString());
    }

    [Theory]
    [InlineData("""{"status":"loading","message":"Loading stories260K.gguf","progress":0.42}""", GatewayState.Loading, "Loading stories260K.gguf", 0.42)]
    [InlineData("""{"status":"no_model","message":"No model found in models/."}""", GatewayState.NoModel, "No model found in models/.", null)]
    [InlineData("""{"status":"unreachable","message":"Inference does not answer."}""", GatewayState.Unreachable, "Inference does not answer.", null)]
    [InlineData("""{"status":"unhealthy"}""", GatewayState.NotReady, "The chat service is not ready.", null)]
    [InlineData("not json", GatewayState.NotReady, "The chat service is not ready.", null)]
    public async Task Health_503_says_why(string body, GatewayState state, string message, double? progress)
    {
        var gateway = new FakeGateway(_ => FakeGateway.Respond(HttpStatusCode.ServiceUnavailable, body, "application/json"));

        var health = await gateway.CreateClient().GetHealthAsync();

        Assert.Equal(new GatewayHealth(state, message, progress), health);
        Assert.False(health.IsReady);
    }

    [Fact]
    public async Task Health_of_an_unreachable_gateway_is_unreachable()
    {
        var gateway = new FakeGateway(_ => throw new HttpRequestException("Connection refused"));

        var health = await gateway.CreateClient().GetHealthAsync();

        Assert.Equal(GatewayState.Unreachable, health.State);
        Assert.Contains("cannot be reached", health.Message, StringComparison.Ordinal);
    }
}
