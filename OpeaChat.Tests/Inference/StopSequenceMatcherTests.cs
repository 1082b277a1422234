using OpeaChat.Inference.Engine;

namespace OpeaChat.Tests.Inference;

public sealed class StopSequenceMatcherTests
{
    [Fact]
    public void Without_stops_everything_passes_through()
    {
        var matcher = new StopSequenceMatcher([]);

        Assert.Equal("Once", matcher.Push("Once"));
        Assert.Equal(" upon", matcher.Push(" upon"));
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void A_stop_split_across_pieces_is_held_back_and_never_emitted()
    {
        var matcher = new StopSequenceMatcher(["<|im_end|>"]);

        Assert.Equal("Hello", matcher.Push("Hello<|im"));
        Assert.Equal(string.Empty, matcher.Push("_en"));
        Assert.Equal(string.Empty, matcher.Push("d|> trailing"));
        Assert.True(matcher.Stopped);
        Assert.Equal(string.Empty, matcher.Push("more"));
    }

    [Fact]
    public void Held_text_that_turns_out_not_to_be_a_stop_is_released()
    {
        var matcher = new StopSequenceMatcher(["END"]);

        Assert.Equal("The ", matcher.Push("The E"));
        Assert.Equal("Egg", matcher.Push("gg"));
        Assert.Equal(string.Empty, matcher.Push("EN"));
        Assert.Equal("EN", matcher.Flush());
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void The_earliest_of_several_stops_wins()
    {
        var matcher = new StopSequenceMatcher(["\n\n", "The end"]);

        Assert.Equal("a", matcher.Push("aThe end\n\nb"));
        Assert.True(matcher.Stopped);
    }
}
