using System.Text.Json;
using OpeaChat.ChatQnA;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.Contracts.Opea;

namespace OpeaChat.Tests.ChatQnA;

public sealed class OpeaRequestTests
{
    private static OpeaChatRequest Parse(string json) =>
        JsonSerializer.Deserialize(json, OpeaJsonContext.Default.OpeaChatRequest)!;

    [Fact]
    public void A_plain_string_is_one_user_message()
    {
        var request = Parse("""{"messages":"What is OPEA?"}""");

        var message = Assert.Single(request.Messages!.Items);
        Assert.Equal("user", message.Role);
        Assert.Equal("What is OPEA?", message.Content);
        Assert.True(request.Messages.WasPlainString);
    }

    [Fact]
    public void A_list_keeps_roles_and_order()
    {
        var request = Parse("""
            {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}]}
            """);

        Assert.Equal(["system", "user", "assistant", "user"], request.Messages!.Items.Select(m => m.Role));
        Assert.Equal("Bye", request.Messages.Items[^1].Content);
        Assert.False(request.Messages.WasPlainString);
    }

    [Fact]
    public void Unknown_opea_fields_are_accepted()
    {
        var request = Parse("""{"messages":"q","context":"some docs","meta":{"auth_token":"x"},"logit_bias":{"1":2},"user":"u"}""");

        Assert.Equal("q", request.Messages!.Items[0].Content);
    }

    [Fact]
    public void Missing_parameters_take_opea_defaults_and_stream_is_unset()
    {
        var request = Parse("""{"messages":"q"}""");
        var completion = OpeaRequestMapper.WithOpeaDefaults(OpeaRequestMapper.ToCompletionRequest(request, new ChatQnAOptions()), new ChatQnAOptions());

        Assert.Null(request.Stream);
        Assert.Equal(1024, completion.MaxTokens);
        Assert.Equal(10, completion.TopK);
        Assert.Equal(0.95f, completion.TopP);
        Assert.Equal(0.01f, completion.Temperature);
        Assert.Equal(1.03f, completion.RepeatPenalty);
        Assert.Null(completion.Model);
    }

    [Fact]
    public void Given_parameters_pass_through_and_the_model_too_when_strict()
    {
        var request = Parse("""{"messages":"q","max_tokens":5,"top_k":3,"top_p":0.5,"temperature":0.7,"repetition_penalty":1.2,"stop":["x","y"],"seed":9,"model":"m"}""");
        var strict = new ChatQnAOptions { StrictModel = true };
        var completion = OpeaRequestMapper.WithOpeaDefaults(OpeaRequestMapper.ToCompletionRequest(request, strict), strict);

        Assert.Equal(5, completion.MaxTokens);
        Assert.Equal(3, completion.TopK);
        Assert.Equal(0.5f, completion.TopP);
        Assert.Equal(0.7f, completion.Temperature);
        Assert.Equal(1.2f, completion.RepeatPenalty);
        Assert.Equal(["x", "y"], completion.Stop!.Values);
        Assert.Equal(9, completion.Seed);
        Assert.Equal("m", completion.Model);
    }

    [Fact]
    public void The_requests_model_is_ignored_by_default_for_the_gateways_default()
    {
        var request = Parse("""{"messages":"q","model":"meta-llama/Meta-Llama-3-8B-Instruct"}""");

        Assert.Null(OpeaRequestMapper.ToCompletionRequest(request, new ChatQnAOptions()).Model);
        var options = new ChatQnAOptions { DefaultModel = "configured" };
        Assert.Equal("configured", OpeaRequestMapper.WithOpeaDefaults(OpeaRequestMapper.ToCompletionRequest(request, options), options).Model);
    }

    [Theory]
    [InlineData("""{"messages":42}""")]
    [InlineData("""{"messages":[1,2]}""")]
    [InlineData("""{"messages":[{"role":"user","content":5}]}""")]
    public void Wrong_message_types_are_rejected(string json)
    {
        var exception = Assert.Throws<JsonException>(() => Parse(json));
        Assert.StartsWith("$.messages", exception.Path, StringComparison.Ordinal);
    }
}
