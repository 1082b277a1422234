namespace OpeaChat.Inference.Engine;

/// <summary>
/// Finds stop sequences in streamed text. Text that might be the start of a stop sequence is held back until
/// the next piece shows whether it is, so a client never sees part of a stop sequence.
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly IReadOnlyList<string> _stops;
    private string _held = string.Empty;

    public StopSequenceMatcher(IReadOnlyList<string> stops)
    {
        _stops = stops.Where(stop => stop.Length > 0).ToArray();
    }

    public bool Stopped { get; private set; }

    /// <summary>Adds a piece and returns the text that is now safe to emit.</summary>
    public string Push(string piece)
    {
        if (Stopped)
        {
            return string.Empty;
        }

        if (_stops.Count == 0)
        {
            return piece;
        }

        var text = _held + piece;
        var firstStop = -1;
        foreach (var stop in _stops)
        {
            var index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (firstStop < 0 || index < firstStop))
            {
                firstStop = index;
            }
        }

        if (firstStop >= 0)
        {
            Stopped = true;
            _held = string.Empty;
            return text[..firstStop];
        }

        var keep = LongestSuffixThatStartsAStop(text);
        _held = text[^keep..];
        return text[..^keep];
    }

    /// <summary>Returns whatever is held back; called when generation ends without a stop sequence.</summary>
    public string Flush()
    {
        var rest = _held;
        _held = string.Empty;
        return rest;
    }

    private int LongestSuffixThatStartsAStop(string text)
    {
        var longest = 0;
        foreach (var stop in _stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
