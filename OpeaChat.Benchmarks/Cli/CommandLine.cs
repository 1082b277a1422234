using System.Globalization;

namespace OpeaChat.Benchmarks.Cli;

/// <summary>A command line the user got wrong; the message says what and how to fix it.</summary>
public sealed class CommandLineException(string message) : Exception(message);

/// <summary>
/// The options of one command: <c>--name value</c>, flags, comma-separated lists, and <c>--target KIND ADDRESS</c>
/// (also written <c>--target KIND=ADDRESS</c>), which may repeat. Unknown options are errors, not silently ignored.
/// </summary>
public sealed class CommandLine
{
    public const string TargetOption = "--target";
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private CommandLine(string command) => Command = command;

    public string Command { get; }

    /// <param name="args">The command name, then its options.</param>
    /// <param name="valueOptions">Options that take one value (<c>--target</c> is always known).</param>
    /// <param name="flags">Options without a value; a flag may also be given <c>true</c> or <c>false</c>.</param>
    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string>? flags = null)
    {
        if (args.Count == 0)
        {
            throw new CommandLineException("No command given.");
        }

        flags ??= [];
        var line = new CommandLine(args[0]);
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (name == TargetOption)
            {
                var first = Next(args, ref i, name);
                var target = first.Contains('=', StringComparison.Ordinal) || first.Contains("://", StringComparison.Ordinal)
                    ? first
                    : $"{first}={Next(args, ref i, name)}";
                line.AddValue(name, target);
            }
            else if (flags.Contains(name))
            {
                var explicitValue = i + 1 < args.Count && args[i + 1] is "true" or "false" ? args[++i] : "true";
                line.AddValue(name, explicitValue);
            }
            else if (valueOptions.Contains(name))
            {
                line.AddValue(name, Next(args, ref i, name));
            }
            else
            {
                throw new CommandLineException($"Unknown option '{name}' for '{args[0]}'.");
            }
        }

        return line;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> GetAll(string name) => _values.TryGetValue(name, out var values) ? values : [];

    public string GetString(string name, string fallback) => Get(name) ?? fallback;

    public string GetRequired(string name) => Get(name) ?? throw new CommandLineException($"'{Command}' needs {name}.");

    public int GetInt(string name, int fallback, int min = int.MinValue, int max = int.MaxValue) =>
        Get(name) is { } text ? ParseInt(name, text, min, max) : fallback;

    public int GetRequiredInt(string name, int min = int.MinValue, int max = int.MaxValue) => ParseInt(name, GetRequired(name), min, max);

    public float GetFloat(string name, float fallback, float min = float.MinValue, float max = float.MaxValue)
    {
        if (Get(name) is not { } text)
        {
            return fallback;
        }

        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new CommandLineException($"{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
        }

        return value;
    }

    public bool GetBool(string name, bool fallback) => Get(name) switch
    {
        null => fallback,
        "true" => true,
        "false" => false,
        var other => throw new CommandLineException($"{name} must be true or false, not '{other}'."),
    };

    /// <summary>A comma-separated list of integers such as <c>1,2,4,8</c>.</summary>
    public IReadOnlyList<int> GetIntList(string name, IReadOnlyList<int> fallback, int min = 1, int max = int.MaxValue)
    {
        if (Get(name) is not { } text)
        {
            return fallback;
        }

        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0)
        {
            throw new CommandLineException($"{name} needs at least one number, such as 1,2,4.");
        }

        return items.Select(item => ParseInt(name, item, min, max)).ToArray();
    }

    private static int ParseInt(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            var range = max == int.MaxValue ? $"a whole number of at least {min}" : $"a whole number from {min} to {max}";
            throw new CommandLineException($"{name} must be {range}, not '{text}'.");
        }

        return value;
    }

    private static string Next(IReadOnlyList<string> args, ref int i, string name)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new CommandLineException($"{name} needs a value.");
        }

        return args[++i];
    }

    private void AddValue(string name, string value)
    {
        if (!_values.TryGetValue(name, out var values))
        {
            _values[name] = values = [];
        }

        values.Add(value);
    }
}
