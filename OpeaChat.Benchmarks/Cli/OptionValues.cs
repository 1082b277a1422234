using System.CommandLine;
using System.Globalization;

namespace OpeaChat.Benchmarks.Cli;

/// <summary>
/// The benchmark's options on <see cref="System.CommandLine"/>: <c>--name value</c> with the value checked by the
/// option's own parser, so a mistake is a parse error that names the option (<c>--users must be a whole number
/// from 1 to 4096, not '0'</c>). A value may not start with <c>--</c> (that is the next option), and an option given
/// twice takes its last value.
/// </summary>
public static class OptionValues
{
    /// <summary>How often one option may be repeated (the last value counts).</summary>
    private const int MaxRepeats = 100;

    /// <param name="showDefault">Give the option a default value, which help shows; otherwise it reads null when not given.</param>
    public static Option<T> Create<T>(string name, T fallback, string description, Func<string, T> parse, string? helpName = null, bool showDefault = true)
    {
        var option = new Option<T>(name)
        {
            Description = description,
            HelpName = helpName,
            Arity = new ArgumentArity(0, MaxRepeats),
            DefaultValueFactory = showDefault ? _ => fallback : null,
            CustomParser = result =>
            {
                try
                {
                    return result.Tokens.Count == 0 ? fallback : parse(result.Tokens[^1].Value);
                }
                catch (CommandLineException exception)
                {
                    result.AddError(exception.Message);
                    return fallback;
                }
            },
        };
        RequireValue(option);
        return option;
    }

    /// <summary>An option given with nothing after it (or another option) is an error that names it.</summary>
    private static void RequireValue(Option option) => option.Validators.Add(result =>
    {
        if (!result.Implicit && result.Tokens.Count == 0)
        {
            result.AddError($"{option.Name} needs a value.");
        }
    });

    public static Option<string> Text(string name, string fallback, string description, string? helpName = null) =>
        Create(name, fallback, description, text => text, helpName);

    /// <summary>A value the command needs; null when not given (the command's validator names it).</summary>
    public static Option<string?> RequiredText(string name, string description, string? helpName = null) =>
        Create<string?>(name, null, description, text => text, helpName);

    public static Option<int> Int(string name, int fallback, string description, int min = int.MinValue, int max = int.MaxValue) =>
        Create(name, fallback, description, text => ParseInt(name, text, min, max), "N");

    /// <summary>A whole number the command needs; null when not given (the command's validator names it).</summary>
    public static Option<int?> RequiredInt(string name, string description, int min = int.MinValue, int max = int.MaxValue) =>
        Create<int?>(name, null, description, text => ParseInt(name, text, min, max), "N");

    public static Option<float> Float(string name, float fallback, string description, float min = float.MinValue, float max = float.MaxValue) =>
        Create(name, fallback, description, text => ParseFloat(name, text, min, max), "X");

    /// <summary>
    /// One of a few words, read as <typeparamref name="T"/>; null when not given (the description shows the default).
    /// Typed as <see cref="Choice{T}"/> because System.CommandLine only hands a bool option tokens that read as bools.
    /// </summary>
    public static Option<Choice<T>?> Words<T>(string name, string fallback, string description, IReadOnlyDictionary<string, T> words) =>
        Create<Choice<T>?>(name, null, $"{description} [default: {fallback}]", text => words.TryGetValue(text, out var value)
            ? new Choice<T>(value)
            : throw new CommandLineException($"{name} must be {string.Join(", ", words.Keys.SkipLast(1))} or {words.Keys.Last()}, not '{text}'."),
            string.Join('|', words.Keys), showDefault: false);

    /// <summary><c>true</c> or <c>false</c>; null when not given.</summary>
    public static Option<Choice<bool>?> Bool(string name, bool fallback, string description) =>
        Words(name, fallback ? "true" : "false", description, new Dictionary<string, bool>(StringComparer.Ordinal) { ["true"] = true, ["false"] = false });

    /// <summary>
    /// A comma-separated list of whole numbers such as <c>1,2,4,8</c>. Null when not given: the default is the
    /// caller's (help would show a list default as <c>1|2|4</c>, so the description shows it instead).
    /// </summary>
    public static Option<IReadOnlyList<int>?> IntList(string name, IReadOnlyList<int> fallback, string description, int min = 1, int max = int.MaxValue) =>
        Create<IReadOnlyList<int>?>(name, null, $"{description} [default: {string.Join(',', fallback)}]", text =>
        {
            var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (items.Length == 0)
            {
                throw new CommandLineException($"{name} needs at least one number, such as 1,2,4.");
            }

            return items.Select(item => ParseInt(name, item, min, max)).ToArray();
        }, "N,N,...", showDefault: false);

    /// <summary>
    /// <c>--target KIND=ADDRESS</c> (<see cref="BenchmarkCli.Parse"/> joins <c>--target KIND ADDRESS</c> into it), or a
    /// bare URL where the command has a default kind; it may repeat. The targets in order.
    /// </summary>
    public static Option<IReadOnlyList<TargetSpec>> Targets(string description, TargetKind? defaultKind = null)
    {
        var option = new Option<IReadOnlyList<TargetSpec>>(TargetOption)
        {
            Description = description,
            HelpName = "KIND ADDRESS",
            Arity = new ArgumentArity(0, MaxRepeats),
            DefaultValueFactory = _ => [],
            CustomParser = result =>
            {
                var targets = new List<TargetSpec>();
                try
                {
                    foreach (var token in result.Tokens)
                    {
                        targets.Add(IsWholeTarget(token.Value) ? TargetSpec.Parse(token.Value, defaultKind) : throw new CommandLineException($"{TargetOption} needs a value."));
                    }
                }
                catch (CommandLineException exception)
                {
                    result.AddError(exception.Message);
                }

                return targets;
            },
        };
        RequireValue(option);
        return option;
    }

    public const string TargetOption = "--target";

    /// <summary>
    /// Joins <c>--target KIND ADDRESS</c> into <c>--target KIND=ADDRESS</c>, as the benchmark has always read it: a
    /// token with <c>=</c> or <c>://</c> is a whole target, otherwise it is the kind and the next token the address
    /// (never a token that starts with <c>--</c>: that is the next option).
    /// </summary>
    public static IReadOnlyList<string> JoinTargets(IReadOnlyList<string> args)
    {
        var joined = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            joined.Add(args[i]);
            if (args[i] == TargetOption && i + 2 < args.Count && !IsWholeTarget(args[i + 1]) && !IsOption(args[i + 1]) && !IsOption(args[i + 2]))
            {
                joined.Add($"{args[i + 1]}={args[i + 2]}");
                i += 2;
            }
        }

        return joined;
    }

    private static bool IsWholeTarget(string token) => token.Contains('=', StringComparison.Ordinal) || token.Contains("://", StringComparison.Ordinal);

    private static bool IsOption(string token) => token.StartsWith("--", StringComparison.Ordinal);

    public static int ParseInt(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            var range = max == int.MaxValue ? $"a whole number of at least {min}" : $"a whole number from {min} to {max}";
            throw new CommandLineException($"{name} must be {range}, not '{text}'.");
        }

        return value;
    }

    private static float ParseFloat(string name, string text, float min, float max)
    {
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new CommandLineException($"{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
        }

        return value;
    }
}

/// <summary>The value of a <see cref="OptionValues.Words{T}"/> option.</summary>
public sealed record Choice<T>(T Value);
