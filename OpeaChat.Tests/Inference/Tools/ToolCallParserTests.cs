using OpeaChat.Inference.Tools;

namespace OpeaChat.Tests.Inference.Tools;

public sealed class ToolCallParserTests
{
    private const string HermesReply = "Let me look.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"tags\": [\"a}\", {\"b\": 1}]} }\n</tool_call>\n"
        + "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>";

    [Fact]
    public void Text_before_the_trigger_is_content_and_each_call_has_its_name_and_arguments()
    {
        var parser = new ToolCallParser(ToolCallFormat.Hermes);
        parser.Push(HermesReply);
        parser.Finish();

        Assert.Equal("Let me look.\n", parser.ContentText);
        Assert.Equal(["get_weather", "add"], parser.Calls.Select(call => call.Name));
        Assert.Equal("{\"city\": \"Oslo\", \"tags\": [\"a}\", {\"b\": 1}]}", parser.Calls[0].Arguments);
        Assert.Equal("{\"a\": 1, \"b\": 2}", parser.Calls[1].Arguments);
        Assert.All(parser.Calls, call => Assert.True(call.Complete));
        Assert.NotEqual(parser.Calls[0].Id, parser.Calls[1].Id);
    }

    [Fact]
    public void Any_split_of_the_stream_gives_the_same_content_and_calls()
    {
        var whole = new ToolCallParser(ToolCallFormat.Hermes);
        whole.Push(HermesReply);
        whole.Finish();

        for (var size = 1; size <= 7; size++)
        {
            var parser = new ToolCallParser(ToolCallFormat.Hermes);
            var events = new List<ToolCallEvent>();
            for (var at = 0; at < HermesReply.Length; at += size)
            {
                events.AddRange(parser.Push(HermesReply.Substring(at, Math.Min(size, HermesReply.Length - at))));
            }

            events.AddRange(parser.Finish());
            Assert.Equal(whole.ContentText, string.Concat(events.OfType<ToolCallEvent.Content>().Select(piece => piece.Text)));
            Assert.Equal(whole.Calls.Select(call => (call.Name, call.Arguments)), parser.Calls.Select(call => (call.Name, call.Arguments)));
            // Heads come before their fragments, and fragments rebuild the arguments.
            for (var index = 0; index < parser.Calls.Count; index++)
            {
                var head = events.FindIndex(piece => piece is ToolCallEvent.CallStarted started && started.Index == index);
                var fragments = events.Select((piece, position) => (piece, position)).Where(pair => pair.piece is ToolCallEvent.Arguments arguments && arguments.Index == index).ToList();
                Assert.True(head >= 0 && fragments.All(pair => pair.position > head));
                Assert.Equal(parser.Calls[index].Arguments, string.Concat(fragments.Select(pair => ((ToolCallEvent.Arguments)pair.piece).Fragment)));
            }
        }
    }

    [Fact]
    public void Text_that_only_looks_like_the_start_of_a_trigger_is_held_then_given_back()
    {
        var parser = new ToolCallParser(ToolCallFormat.Hermes);

        Assert.Equal("I said ", string.Concat(parser.Push("I said <tool").OfType<ToolCallEvent.Content>().Select(piece => piece.Text)));
        Assert.Equal("<tools are fun", string.Concat(parser.Push("s are fun").OfType<ToolCallEvent.Content>().Select(piece => piece.Text)));
        Assert.Empty(parser.Calls);
    }

    [Fact]
    public void A_trigger_that_never_becomes_a_call_is_text_in_the_end()
    {
        var parser = new ToolCallParser(ToolCallFormat.Hermes);
        parser.Push("Here: <tool_call> oops");
        var late = parser.Finish();

        Assert.Empty(parser.Calls);
        Assert.Equal("<tool_call> oops", Assert.IsType<ToolCallEvent.Content>(Assert.Single(late)).Text);
    }

    [Fact]
    public void Llama3_calls_only_count_at_the_start_of_the_reply()
    {
        var call = new ToolCallParser(ToolCallFormat.Llama3);
        call.Push("  {\"name\": \"add\", \"parameters\": {\"a\": 1}}");
        call.Finish();
        Assert.Equal("add", Assert.Single(call.Calls).Name);
        Assert.Equal("{\"a\": 1}", call.Calls[0].Arguments);

        var text = new ToolCallParser(ToolCallFormat.Llama3);
        text.Push("The JSON is {\"name\": \"add\", \"parameters\": {}}");
        text.Finish();
        Assert.Empty(text.Calls);
        Assert.StartsWith("The JSON is", text.ContentText, StringComparison.Ordinal);
    }

    [Fact]
    public void Mistral_reads_a_list_of_calls()
    {
        var parser = new ToolCallParser(ToolCallFormat.Mistral);
        parser.Push("[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": \"]\"}}, {\"name\": \"b\", \"arguments\": {}}]");
        parser.Finish();

        Assert.Equal(["a", "b"], parser.Calls.Select(call => call.Name));
        Assert.Equal("{\"x\": \"]\"}", parser.Calls[0].Arguments);
    }

    [Fact]
    public void A_call_cut_off_by_the_token_limit_is_kept_as_incomplete()
    {
        var parser = new ToolCallParser(ToolCallFormat.Hermes);
        parser.Push("<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1");
        parser.Finish();

        var call = Assert.Single(parser.Calls);
        Assert.False(call.Complete);
        Assert.Equal("{\"a\": 1", call.Arguments);
    }
}
