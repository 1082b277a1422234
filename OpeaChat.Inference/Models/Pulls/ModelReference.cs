using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace OpeaChat.Inference.Models.Pulls;

/// <summary>
/// What a pull names: a Hugging Face repository and a quantisation or file in it, written as llama-server's
/// <c>-hf</c> takes it: <c>hf.co/&lt;org&gt;/&lt;repo&gt;[:&lt;quant or file&gt;]</c>, also <c>huggingface.co/…</c>
/// (with or without <c>https://</c>) and bare <c>&lt;org&gt;/&lt;repo&gt;[:&lt;quant&gt;]</c>.
/// </summary>
public sealed partial record ModelReference(string Organization, string Repository, string Tag, bool TagIsDefault)
{
    /// <summary>The quantisation llama-server's <c>-hf</c> picks when a reference names none.</summary>
    public const string DefaultQuantization = "Q4_K_M";

    /// <summary><c>org/repo</c>, as the hub's URLs write it.</summary>
    public string RepositoryId => $"{Organization}/{Repository}";

    /// <summary>True when the tag names a file (it ends in <c>.gguf</c>) rather than a quantisation.</summary>
    public bool TagIsFile => Tag.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <summary>The reference in its full form, <c>hf.co/org/repo:tag</c>.</summary>
    public override string ToString() => $"hf.co/{RepositoryId}:{Tag}";

    public static bool TryParse(string? text, [NotNullWhen(true)] out ModelReference? reference, [NotNullWhen(false)] out string? problem)
    {
        reference = null;
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            problem = "'model' is required: a Hugging Face reference such as hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M.";
            return false;
        }

        foreach (var scheme in (string[])["https://", "http://"])
        {
            if (value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                value = value[scheme.Length..];
            }
        }

        foreach (var host in (string[])["hf.co/", "huggingface.co/", "www.huggingface.co/"])
        {
            if (value.StartsWith(host, StringComparison.OrdinalIgnoreCase))
            {
                value = value[host.Length..];
                break;
            }
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var path = colon < 0 ? value : value[..colon];
        var tag = colon < 0 ? null : value[(colon + 1)..];
        var segments = path.Split('/');
        if (segments.Length != 2 || !RepositoryName().IsMatch(segments[0]) || !RepositoryName().IsMatch(segments[1]))
        {
            problem = $"'{text}' is not a Hugging Face model reference: write hf.co/<org>/<repo>[:<quant or file>] or <org>/<repo>[:<quant>], " +
                "for example hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M.";
            return false;
        }

        if (tag is not null && !ValidTag(tag))
        {
            problem = $"'{tag}' in '{text}' is neither a quantisation (such as Q4_K_M or Q8_0) nor a .gguf file name of the repository.";
            return false;
        }

        reference = new ModelReference(segments[0], segments[1], tag ?? DefaultQuantization, tag is null);
        problem = null;
        return true;
    }

    // A file tag may sit in a folder of the repository (unsloth keeps quantisations in folders), never above it.
    private static bool ValidTag(string tag) =>
        tag.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
            ? tag.Split('/').All(segment => FileSegment().IsMatch(segment) && segment is not "." and not "..")
            : Quantization().IsMatch(tag);

    // The hub's own rule: letters, digits, '-', '_' and '.', not starting with '-' or '.', at most 96 characters.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex RepositoryName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex Quantization();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._ +()-]{0,199}$")]
    private static partial Regex FileSegment();
}
