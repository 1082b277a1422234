using System.Text;

namespace OpeaChat.Inference.Engine;

/// <summary>
/// A grammar that holds the output only from the moment the model writes <see cref="Trigger"/> by itself (a tool
/// call under <c>tool_choice: "auto"</c>, as llama-server's lazy grammars do). <see cref="GrammarAfter"/> gets the text
/// the trigger's last token held beyond the trigger and gives the grammar for the rest, or null when that text
/// cannot go on into a valid call (the reply then stays free text).
/// </summary>
public sealed record LazyGrammar(string Trigger, bool OnlyAtStart, Func<string, string?> GrammarAfter);

/// <summary>Watches a sequence's generated text for its <see cref="LazyGrammar"/>'s trigger.</summary>
internal sealed class LazyGrammarWatch(LazyGrammar lazy)
{
    private readonly StringBuilder _text = new();
    private int _searchFrom;
    private bool _done;

    /// <summary>Adds generated text; returns the grammar to switch to when the trigger has just been written.</summary>
    public string? Observe(string piece)
    {
        if (_done || piece.Length == 0)
        {
            return null;
        }

        _text.Append(piece);
        if (lazy.OnlyAtStart)
        {
            // Decided within the first few characters: the text is short until then.
            var start = _text.ToString().TrimStart();
            if (start.StartsWith(lazy.Trigger, StringComparison.Ordinal))
            {
                _done = true;
                return lazy.GrammarAfter(start[lazy.Trigger.Length..]);
            }

            _done = !lazy.Trigger.StartsWith(start, StringComparison.Ordinal);
            return null;
        }

        // Only the part not yet searched (and the trigger's length before it) is looked at: this runs on every token.
        var tail = _text.ToString(_searchFrom, _text.Length - _searchFrom);
        var at = tail.IndexOf(lazy.Trigger, StringComparison.Ordinal);
        if (at < 0)
        {
            _searchFrom = Math.Max(_searchFrom, _text.Length - lazy.Trigger.Length + 1);
            return null;
        }

        // A trigger whose token ran on into something no call can start with stays text; a later one may still count.
        _searchFrom += at + 1;
        var grammar = lazy.GrammarAfter(tail[(at + lazy.Trigger.Length)..]);
        _done = grammar is not null;
        return grammar;
    }
}
