using System.Text;
using System.Text.RegularExpressions;

namespace OpeaChat.ChatQnA.Prompts;

/// <summary>
/// Prompt templates with <c>{variable}</c> placeholders, as OPEA writes them (Python's <c>str.format</c>):
/// a name is letters, digits and '_' not starting with a digit; <c>{{</c> and <c>}}</c> stand for literal braces.
/// A template with any other brace does not parse (<see cref="Check"/>), as <c>str.format</c> refuses it; the prompts
/// API stores only templates that parse. <see cref="Fill"/> keeps such a brace as it is, for text stored before.
/// </summary>
public static partial class PromptTemplate
{
    /// <summary>Why <paramref name="template"/> does not parse, or null when it does.</summary>
    public static string? Check(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        for (var i = 0; i < template.Length; i++)
        {
            var character = template[i];
            if (character is not ('{' or '}'))
            {
                continue;
            }

            if (i + 1 < template.Length && template[i + 1] == character)
            {
                i++;
                continue;
            }

            if (character == '}')
            {
                return $"Single '}}' at position {i}: write '}}}}' for a literal brace.";
            }

            var match = Placeholder().Match(template, i);
            if (!match.Success || match.Index != i || !match.Groups["name"].Success)
            {
                var close = template.IndexOf('}', i + 1);
                return close < 0
                    ? $"'{{' at position {i} is never closed: write '{{{{' for a literal brace, or {{name}} for a placeholder."
                    : $"'{template[i..(close + 1)]}' at position {i} is not a placeholder: a name is letters, digits and '_', not starting with a digit (write '{{{{' for a literal brace).";
            }

            i += match.Length - 1;
        }

        return null;
    }

    /// <summary>The placeholders' names, each once, in order of first appearance.</summary>
    public static IReadOnlyList<string> GetVariables(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var names = new List<string>();
        foreach (Match match in Placeholder().Matches(template))
        {
            if (match.Groups["name"].Success && !names.Contains(match.Groups["name"].Value))
            {
                names.Add(match.Groups["name"].Value);
            }
        }

        return names;
    }

    /// <summary>
    /// The template with every placeholder replaced by its value. Values are inserted as they are (a value that
    /// contains braces is not expanded again); extra values are ignored.
    /// </summary>
    /// <exception cref="PromptTemplateException">Some placeholders have no value; all of them are named.</exception>
    public static string Fill(string template, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(variables);
        var missing = GetVariables(template).Where(name => !variables.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            throw new PromptTemplateException(missing);
        }

        var text = new StringBuilder(template.Length);
        var last = 0;
        foreach (Match match in Placeholder().Matches(template))
        {
            text.Append(template, last, match.Index - last);
            text.Append(match.Groups["name"].Success ? variables[match.Groups["name"].Value] : match.Value[..1]);
            last = match.Index + match.Length;
        }

        return text.Append(template, last, template.Length - last).ToString();
    }

    [GeneratedRegex(@"\{\{|\}\}|\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}

/// <summary>A template was filled without values for some of its placeholders.</summary>
public sealed class PromptTemplateException(IReadOnlyList<string> missing)
    : Exception($"No value was given for the template's placeholder{(missing.Count == 1 ? string.Empty : "s")} {string.Join(", ", missing.Select(name => "{" + name + "}"))}.")
{
    /// <summary>The placeholders without a value, in the template's order.</summary>
    public IReadOnlyList<string> Missing { get; } = missing;
}
