using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

public sealed class GatewayErrorMessageTests
{
    [Fact]
    public void Reads_fastapi_string_detail() =>
        Assert.Equal(
            "No model is loaded. Put a .gguf file into models/.",
            GatewayErrorMessage.Read("""{"detail":"No model is loaded. Put a .gguf file into models/."}"""));

    [Fact]
    public void Reads_fastapi_validation_errors_with_their_location()
    {
        const string body = """
            {"detail":[
              {"type":"missing","loc":["body","messages"],"msg":"Field required","input":{}},
              {"type":"greater_than","loc":["body","max_tokens"],"msg":"Input should be greater than 0"},
              {"type":"x","loc":["body","messages",0,"content"],"msg":"String should have at least 1 character"}
            ]}
            """;

        Assert.Equal(
            "messages: Field required; max_tokens: Input should be greater than 0; messages.0.content: String should have at least 1 character",
            GatewayErrorMessage.Read(body));
    }

    [Fact]
    public void Reads_a_validation_error_without_location() =>
        Assert.Equal("Bad thing", GatewayErrorMessage.Read("""{"detail":[{"msg":"Bad thing"}]}"""));

    [Fact]
    public void Reads_openai_style_errors() =>
        Assert.Equal("Model is loading", GatewayErrorMessage.Read("""{"error":{"message":"Model is loading","type":"unavailable"}}"""));

    [Fact]
    public void Reads_a_top_level_message() =>
        Assert.Equal("Service down", GatewayErrorMessage.Read("""{"status":"unreachable","message":"Service down"}"""));

    [Fact]
    public void Uses_a_short_plain_text_body() =>
        Assert.Equal("Bad Gateway", GatewayErrorMessage.Read("  Bad Gateway \n"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("<html><body>502 Bad Gateway</body></html>")]
    [InlineData("""{"detail":""}""")]
    [InlineData("""{"detail":null}""")]
    [InlineData("""{"other":"x"}""")]
    [InlineData("[1,2]")]
    public void Returns_null_when_there_is_no_message(string? body) =>
        Assert.Null(GatewayErrorMessage.Read(body));

    [Fact]
    public void Treats_broken_json_as_text() =>
        Assert.Equal("{\"detail\": oops", GatewayErrorMessage.Read("{\"detail\": oops"));
}
