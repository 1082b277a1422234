using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Tools;

namespace OpeaChat.Tests.Inference.Tools;

public sealed class ToolCallFormatTests
{
    private static readonly ChatTool s_weather = ChatTool.ForFunction("get_weather", "Weather now.",
        JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement.Clone());

    private static readonly ChatMessage[] s_history =
    [
        ChatMessage.Create("system", "Be brief."),
        ChatMessage.Create("user", "Weather in Oslo?"),
        new() { Role = "assistant", ToolCalls = [new ToolCall { Id = "call_a", Function = new FunctionCall { Name = "get_weather", Arguments = "{ \"city\" : \"Oslo\" }" } }] },
        new() { Role = "tool", ToolCallId = "call_a", Content = new MessageContent("{\"c\":21}") },
    ];

    [Theory]
    [InlineData("{%- if tools %}<|im_start|>system\n# Tools ... <tool_call>\n{%- endif %}", "hermes")]
    [InlineData("{{- bos_token }}{%- if tools %}[AVAILABLE_TOOLS]{{ tools }}[/AVAILABLE_TOOLS]{%- endif %}[TOOL_CALLS]", "mistral")]
    [InlineData("<|start_header_id|>system<|end_header_id|>\n\n{%- if builtin_tools %}Environment: ipython{% endif %}", "llama3")]
    [InlineData("<|start_header_id|>user<|end_header_id|>\n\n{{ message['content'] }}<|eot_id|>", "generic")]
    [InlineData("", "generic")]
    [InlineData(null, "generic")]
    public void The_family_is_found_from_the_template_text(string? template, string expected) =>
        Assert.Equal(expected, ToolCallFormat.Detect(template).Name);

    [Fact]
    public void Hermes_shows_tools_in_the_system_message_and_results_as_tool_responses()
    {
        var rendered = ToolCallFormat.Hermes.RenderMessages(s_history, [s_weather])!;

        Assert.Equal(["system", "user", "assistant", "user"], rendered.Select(message => message.Role));
        Assert.StartsWith("Be brief.\n\n# Tools", rendered[0].Content, StringComparison.Ordinal);
        Assert.Contains("<tools>\n{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"", rendered[0].Content, StringComparison.Ordinal);
        Assert.Equal("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Oslo\"}}\n</tool_call>", rendered[2].Content);
        Assert.Equal("<tool_response>\n{\"c\":21}\n</tool_response>", rendered[3].Content);
    }

    [Fact]
    public void Llama3_puts_the_functions_in_the_first_user_message_and_results_in_ipython()
    {
        var rendered = ToolCallFormat.Llama3.RenderMessages(s_history, [s_weather])!;

        Assert.Equal(["system", "user", "assistant", "ipython"], rendered.Select(message => message.Role));
        Assert.StartsWith("Given the following functions", rendered[1].Content, StringComparison.Ordinal);
        Assert.EndsWith("Weather in Oslo?", rendered[1].Content, StringComparison.Ordinal);
        Assert.Equal("{\"name\": \"get_weather\", \"parameters\": {\"city\":\"Oslo\"}}", rendered[2].Content);
        Assert.Equal("{\"c\":21}", rendered[3].Content);
    }

    [Fact]
    public void Mistral_renders_the_whole_prompt_with_tools_before_the_last_question()
    {
        var prompt = ToolCallFormat.Mistral.RenderPrompt([.. s_history, ChatMessage.Create("user", "And Bergen?")], [s_weather]);

        Assert.Equal(
            "[INST]Weather in Oslo?[/INST][TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Oslo\"}, \"id\": \"call_a\"}]</s>"
            + "[TOOL_RESULTS]{\"content\": \"{\\\"c\\\":21}\", \"call_id\": \"call_a\"}[/TOOL_RESULTS]"
            + "[AVAILABLE_TOOLS][" + "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather now.\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}"
            + "][/AVAILABLE_TOOLS][INST]Be brief.\n\nAnd Bergen?[/INST]",
            prompt);
    }

    [Fact]
    public void Without_offered_tools_the_history_still_shows_calls_but_no_tool_list()
    {
        var rendered = ToolCallFormat.Generic.RenderMessages(s_history, null)!;

        Assert.Equal("Be brief.", rendered[0].Content);
        Assert.Contains("<tool_call>", rendered[2].Content, StringComparison.Ordinal);
    }
}
