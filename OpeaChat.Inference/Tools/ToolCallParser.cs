using System.Text;
using System.Text.RegularExpressions;

namespace OpeaChat.Inference.Tools;

/// <summary>What a piece of reply text turned out to be.</summary>
public abstract record ToolCallEvent
{
    /// <summary>Plain answer text (before any call).</summary>
    public sealed record Content(string Text) : ToolCallEvent;

    /// <summary>A call began: its index in the reply, its id and its function's name.</summary>
    public sealed record CallStarted(int Index, string Id, string Name) : ToolCallEvent;

    /// <summary>More of call <see cref="Index"/>'s arguments JSON.</summary>
    public sealed record Arguments(int Index, string Fragment) : ToolCallEvent;
}

/// <summary>One call read from a reply.</summary>
public sealed record ParsedToolCall(string Id, string Name, string Arguments, bool Complete);

/// <summary>
/// Reads a reply as it streams: text until the format's <see cref="ToolCallFormat.Trigger"/>, then calls, each as its
/// name and then its arguments in fragments as they are generated (OpenAI's streamed <c>delta.tool_calls</c>). Text
/// that might be the start of the trigger is held back until it is clearly not. Calls are found by their
/// <c>{"name": "…", "&lt;key&gt;": </c> head and their arguments by bracket depth, so the format's wrapper texts
/// between calls need no parsing of their own.
/// </summary>
public sealed partial class ToolCallParser(ToolCallFormat format)
{
    private readonly StringBuilder _pending = new();
    private readonly StringBuilder _callsText = new();
    private readonly StringBuilder _scratch = new();
    private readonly List<(string Id, string Name, StringBuilder Arguments, bool Complete)> _calls = [];
    private readonly StringBuilder _content = new();
    private State _state = State.Text;
    private bool _triggerPossible = true;
    private int _depth;
    private bool _inString;
    private bool _escaped;

    private enum State
    {
        Text,
        Head,
        Name,
        AfterName,
        Arguments,
        AfterArguments,
    }

    /// <summary>The answer text so far.</summary>
    public string ContentText => _content.ToString();

    public IReadOnlyList<ParsedToolCall> Calls =>
        [.. _calls.Select(call => new ParsedToolCall(call.Id, call.Name, call.Arguments.ToString(), call.Complete))];

    /// <summary>Reads the next piece of the reply.</summary>
    public IReadOnlyList<ToolCallEvent> Push(string text)
    {
        var events = new List<ToolCallEvent>();
        if (_state == State.Text)
        {
            _pending.Append(text);
            ReadText(events);
        }
        else
        {
            ReadCalls(text, events);
        }

        return events;
    }

    /// <summary>The reply ended: held-back text is answer text after all; text that never became a call is too.</summary>
    public IReadOnlyList<ToolCallEvent> Finish()
    {
        var events = new List<ToolCallEvent>();
        if (_state == State.Text && _pending.Length > 0)
        {
            EmitContent(_pending.ToString(), events);
            _pending.Clear();
        }
        else if (_state != State.Text && _calls.Count == 0 && _callsText.Length > 0)
        {
            EmitContent(_callsText.ToString(), events);
        }

        return events;
    }

    private void ReadText(List<ToolCallEvent> events)
    {
        var trigger = format.Trigger;
        var text = _pending.ToString();
        if (!_triggerPossible)
        {
            EmitContent(text, events);
            _pending.Clear();
            return;
        }

        if (format.TriggerOnlyAtStart)
        {
            var start = text.TrimStart();
            if (start.StartsWith(trigger, StringComparison.Ordinal))
            {
                _pending.Clear();
                _state = State.Head;
                ReadCalls(start, events);
            }
            else if (!trigger.StartsWith(start, StringComparison.Ordinal))
            {
                _triggerPossible = false;
                EmitContent(text, events);
                _pending.Clear();
            }

            return;
        }

        var at = text.IndexOf(trigger, StringComparison.Ordinal);
        if (at >= 0)
        {
            EmitContent(text[..at], events);
            _pending.Clear();
            _state = State.Head;
            ReadCalls(text[at..], events);
            return;
        }

        var held = HeldBack(text, trigger);
        EmitContent(text[..^held], events);
        _pending.Remove(0, text.Length - held);
    }

    /// <summary>The longest end of <paramref name="text"/> that the trigger starts with.</summary>
    private static int HeldBack(string text, string trigger)
    {
        for (var length = Math.Min(text.Length, trigger.Length - 1); length > 0; length--)
        {
            if (trigger.AsSpan().StartsWith(text.AsSpan(text.Length - length)))
            {
                return length;
            }
        }

        return 0;
    }

    private void ReadCalls(string text, List<ToolCallEvent> events)
    {
        _callsText.Append(text);
        var fragment = new StringBuilder();
        foreach (var c in text)
        {
            switch (_state)
            {
                case State.Head:
                    _scratch.Append(c);
                    if (c == '"' && CallHead().IsMatch(_scratch.ToString()))
                    {
                        _scratch.Clear();
                        _state = State.Name;
                    }

                    break;
                case State.Name:
                    if (c == '"' && !_escaped)
                    {
                        _state = State.AfterName;
                        _calls.Add(($"call_{Guid.NewGuid():N}"[..29], Unescape(_scratch.ToString()), new StringBuilder(), false));
                        events.Add(new ToolCallEvent.CallStarted(_calls.Count - 1, _calls[^1].Id, _calls[^1].Name));
                        _scratch.Clear();
                    }
                    else
                    {
                        _escaped = c == '\\' && !_escaped;
                        _scratch.Append(c);
                    }

                    break;
                case State.AfterName:
                    if (char.IsWhiteSpace(c) || !ArgumentsHead().IsMatch(_scratch.ToString()))
                    {
                        _scratch.Append(c);
                        break;
                    }

                    _scratch.Clear();
                    _state = State.Arguments;
                    _depth = 0;
                    _inString = false;
                    _escaped = false;
                    ReadArgument(c, fragment, events);
                    break;
                case State.Arguments:
                    ReadArgument(c, fragment, events);
                    break;
                case State.AfterArguments:
                    // The call object's own closing brace, then wrapper text up to the next call's head.
                    if (c == '}')
                    {
                        _state = State.Head;
                    }

                    break;
            }
        }

        FlushArguments(fragment, events);
    }

    private void ReadArgument(char c, StringBuilder fragment, List<ToolCallEvent> events)
    {
        fragment.Append(c);
        if (_inString)
        {
            if (_escaped)
            {
                _escaped = false;
            }
            else if (c == '\\')
            {
                _escaped = true;
            }
            else if (c == '"')
            {
                _inString = false;
            }
        }
        else if (c == '"')
        {
            _inString = true;
        }
        else if (c is '{' or '[')
        {
            _depth++;
        }
        else if (c is '}' or ']')
        {
            _depth--;
        }

        if (_depth == 0 && !_inString && !char.IsWhiteSpace(c))
        {
            FlushArguments(fragment, events);
            _calls[^1] = _calls[^1] with { Complete = true };
            _state = State.AfterArguments;
        }
    }

    private void FlushArguments(StringBuilder fragment, List<ToolCallEvent> events)
    {
        if (fragment.Length == 0)
        {
            return;
        }

        _calls[^1].Arguments.Append(fragment);
        events.Add(new ToolCallEvent.Arguments(_calls.Count - 1, fragment.ToString()));
        fragment.Clear();
    }

    private void EmitContent(string text, List<ToolCallEvent> events)
    {
        if (text.Length > 0)
        {
            _content.Append(text);
            events.Add(new ToolCallEvent.Content(text));
        }
    }

    private static string Unescape(string jsonStringBody)
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse($"\"{jsonStringBody}\"").RootElement.GetString() ?? jsonStringBody;
        }
        catch (System.Text.Json.JsonException)
        {
            return jsonStringBody;
        }
    }

    [GeneratedRegex("""\{\s*"name"\s*:\s*"\z""")]
    private static partial Regex CallHead();

    [GeneratedRegex("""^\s*,\s*"(arguments|parameters)"\s*:\s*\z""")]
    private static partial Regex ArgumentsHead();
}
