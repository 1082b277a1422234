using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Chat;

namespace OpeaChat.Tests.Inference;

public sealed class ChatCompletionValidatorTests
{
    private static ChatCompletionRequest Parse(string json) => JsonSerializer.Deserialize(json, OpenAiJsonContext.Default.ChatCompletionRequest)!;

    [Theory]
    [InlineData("""{"model":"x"}""", "messages")]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""{"messages":[{"role":"robot","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user"}]}""", "messages[0].content")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":-1}""", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":100000000}""", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":3}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"top_p":0}""", "top_p")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":2}""", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"xml"}}""", "response_format.type")]
    public void Invalid_requests_name_the_field(string json, string param)
    {
        var error = ChatCompletionValidator.Validate(Parse(json));

        Assert.NotNull(error);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(param, error.Error.Param);
        Assert.Equal("invalid_request_error", error.Error.Type);
    }

    [Fact]
    public void A_full_valid_request_passes()
    {
        var request = Parse("""
            {"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
             "max_tokens":5,"temperature":0,"top_p":1,"top_k":0,"min_p":0.1,"frequency_penalty":0.5,"presence_penalty":-0.5,"repeat_penalty":1.1,
             "seed":3,"stop":"x","stream":true,"stream_options":{"include_usage":true},"n":1,"response_format":{"type":"json_object"}}
            """);

        Assert.Null(ChatCompletionValidator.Validate(request));
        Assert.Equal("ab", request.Messages![1].Content!.Text);
        Assert.Equal(["x"], request.Stop!.Values);
    }

    [Theory]
    [InlineData("$.max_tokens", "max_tokens")]
    [InlineData("$.messages[0].content", "messages[0].content")]
    [InlineData("$", null)]
    [InlineData(null, null)]
    public void Json_paths_become_openai_params(string? path, string? param) =>
        Assert.Equal(param, JsonRequestReader.ParamFromPath(path));
}
