using System.Net;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>The page's view of the gateway's health.</summary>
public sealed class GatewayHealthClientTests
{
    [Fact]
    public async Task Health_ok_is_ready()
    {
        var gateway = new FakeGateway(_ => FakeGateway.Respond(HttpStatusCode.OK, """{"status":"ok"}""", "application/json"));

        var health = await gateway.CreateHealthClient().GetHealthAsync();

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

        var health = await gateway.CreateHealthClient().GetHealthAsync();

        Assert.Equal(new GatewayHealth(state, message, progress), health);
        Assert.False(health.IsReady);
    }

    [Fact]
    public async Task A_model_being_pulled_with_none_installed_is_pulling_not_ready_even_though_the_gateway_answers_200()
    {
        // Degraded (200), so that the services waiting for inference start; there is still nothing to chat with.
        var gateway = new FakeGateway(_ => FakeGateway.Respond(HttpStatusCode.OK,
            """{"status":"pulling","message":"No model yet; pulling Llama-3.2-3B-Instruct-Q4_K_M: 45%.","progress":0.45}""", "application/json"));

        var health = await gateway.CreateHealthClient().GetHealthAsync();

        Assert.Equal(new GatewayHealth(GatewayState.Pulling, "No model yet; pulling Llama-3.2-3B-Instruct-Q4_K_M: 45%.", 0.45), health);
        Assert.False(health.IsReady);
    }

    [Fact]
    public async Task Health_of_an_unreachable_gateway_is_unreachable()
    {
        var gateway = new FakeGateway(_ => throw new HttpRequestException("Connection refused"));

        var health = await gateway.CreateHealthClient().GetHealthAsync();

        Assert.Equal(GatewayState.Unreachable, health.State);
        Assert.Contains("cannot be reached", health.Message, StringComparison.Ordinal);
    }
}
