using System.Text;
using System.Text.RegularExpressions;

namespace OpeaChat.ChatQnA.Prompts;

/// <summary>
/// Prompt templates with <c>{variable}</c> placeholders, as OPEA writes them (Python's <c>str.format</c>):
/// a name is letters, digits and '_' not starting with a digit; <c>{{</c> and <c>}}</c> stand for literal braces;
/// any other brace is kept as it is.
/// </summary>
public static partial class PromptTemplate
{
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
