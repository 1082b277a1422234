using System.Text.RegularExpressions;

namespace OpeaChat.Inference.Models.Pulls;

/// <summary>A file a pull fetches: its path in the repository, its name in the models folder, its size and SHA-256.</summary>
public sealed record PullFile(string RemotePath, string LocalName, long Size, string? Sha256);

/// <summary>
/// What a reference resolves to in a repository's listing: one GGUF, or every part of a split one. The id is the first
/// file's name without <c>.gguf</c>, the id the model gets in <c>/v1/models</c>.
/// </summary>
public sealed partial record PullPlan(ModelReference Reference, string Id, IReadOnlyList<PullFile> Files)
{
    public long TotalBytes => Files.Sum(file => file.Size);

    public string FirstLocalName => Files[0].LocalName;

    /// <summary>Picks the files a reference names, as llama-server's <c>-hf</c> does: a quantisation matched in the file names (case-insensitively), or an exact file.</summary>
    public static PullPlan Resolve(ModelReference reference, IReadOnlyList<HubFileEntry> entries)
    {
        // mmproj files are vision projectors that ride along with a model, never a model of their own.
        var models = entries
            .Where(entry => entry.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
                && !Path.GetFileName(entry.Path).StartsWith("mmproj", StringComparison.OrdinalIgnoreCase))
            .OrderBy(entry => entry.Path, StringComparer.Ordinal)
            .ToList();
        if (models.Count == 0)
        {
            throw new ModelPullException(ModelPullException.NotFound, StatusCodes.Status404NotFound,
                $"{reference.RepositoryId} has no GGUF files: pull a repository that has them (their names usually end in -GGUF).");
        }

        var firsts = models.Where(entry => !GgufParts.IsLaterPart(entry.Path)).ToList();
        HubFileEntry? first;
        if (reference.TagIsFile)
        {
            first = firsts.FirstOrDefault(entry => string.Equals(entry.Path, reference.Tag, StringComparison.OrdinalIgnoreCase))
                ?? firsts.FirstOrDefault(entry => string.Equals(Path.GetFileName(entry.Path), Path.GetFileName(reference.Tag), StringComparison.OrdinalIgnoreCase));
            if (first is null)
            {
                var names = firsts.Select(entry => entry.Path).ToArray();
                throw new ModelPullException(ModelPullException.QuantizationNotFound, StatusCodes.Status404NotFound,
                    $"{reference.RepositoryId} has no file '{reference.Tag}'. Its GGUF files: {string.Join(", ", names)}.", names);
            }
        }
        else
        {
            var pattern = new Regex($"(?<![A-Za-z0-9]){Regex.Escape(reference.Tag)}(?![A-Za-z0-9_])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            first = firsts.FirstOrDefault(entry => pattern.IsMatch(entry.Path));
            // A repository of one model needs no tag (ggml-org/tiny-llamas has no Q4_K_M, only the file).
            if (first is null && reference.TagIsDefault && firsts.Count == 1)
            {
                first = firsts[0];
            }

            if (first is null)
            {
                var available = Quantizations(firsts.Select(entry => entry.Path));
                throw new ModelPullException(ModelPullException.QuantizationNotFound, StatusCodes.Status404NotFound,
                    $"{reference.RepositoryId} has no {reference.Tag} file. " + (available.Count > 0
                        ? $"Its quantisations: {string.Join(", ", available)}; pull hf.co/{reference.RepositoryId}:{available[0]}, for example."
                        : $"Its GGUF files: {string.Join(", ", firsts.Select(entry => entry.Path))}; name one after the colon."),
                    available.Count > 0 ? available : [.. firsts.Select(entry => entry.Path)]);
            }
        }

        var files = new List<PullFile>();
        if (GgufParts.Parse(first.Path) is { } split)
        {
            var folder = Path.GetDirectoryName(first.Path)?.Replace('\\', '/');
            var prefix = string.IsNullOrEmpty(folder) ? "" : folder + "/";
            for (var part = 1; part <= split.Count; part++)
            {
                var path = prefix + GgufParts.PartName(split.Stem, part, split.Count);
                var entry = models.FirstOrDefault(candidate => string.Equals(candidate.Path, path, StringComparison.OrdinalIgnoreCase))
                    ?? throw new ModelPullException(ModelPullException.HubError, StatusCodes.Status502BadGateway,
                        $"{reference.RepositoryId} lists {first.Path} but not its part {path}: the upload is incomplete.");
                files.Add(ToFile(entry));
            }
        }
        else
        {
            files.Add(ToFile(first));
        }

        var canonical = reference.TagIsFile || (reference.TagIsDefault && !Quantizations([first.Path]).Contains(reference.Tag, StringComparer.OrdinalIgnoreCase))
            ? reference with { Tag = first.Path, TagIsDefault = false }
            : reference;
        return new PullPlan(canonical, Path.GetFileNameWithoutExtension(files[0].LocalName), files);
    }

    private static PullFile ToFile(HubFileEntry entry) => new(entry.Path, Path.GetFileName(entry.Path), entry.Size, entry.Sha256);

    /// <summary>The quantisations named in file names, upper-case, in order of first appearance.</summary>
    public static IReadOnlyList<string> Quantizations(IEnumerable<string> paths) =>
        [.. paths.SelectMany(path => QuantizationName().Matches(Path.GetFileName(path)).Select(match => match.Value.ToUpperInvariant()))
            .Distinct(StringComparer.Ordinal)];

    [GeneratedRegex(@"(?<![A-Za-z0-9])(IQ[1-4]_(?:XXS|XS|S|M|NL)|Q[1-8]_K(?:_XL|_L|_M|_S)?|Q[4-8]_[01]|TQ[12]_0|BF16|F16|F32|MXFP4(?:_MOE)?)(?![A-Za-z0-9_])", RegexOptions.IgnoreCase)]
    private static partial Regex QuantizationName();
}
