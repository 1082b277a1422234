using OpeaChat.ChatQnA.Dataprep.Parsing;

namespace OpeaChat.ChatQnA.Dataprep.Chunking;

/// <summary>One chunk of a document with where it came from.</summary>
public sealed record TextChunk(int Index, string Text, string? Heading, int? Page);

/// <summary>
/// Recursive splitting, as LangChain's RecursiveCharacterTextSplitter that OPEA's dataprep uses: a section longer than
/// <c>chunkSize</c> characters is cut at paragraphs, then lines, then sentences, then words (then characters), and the
/// pieces are packed back into chunks of at most <c>chunkSize</c>, each starting with up to <c>chunkOverlap</c>
/// characters of the one before. Sections are chunked apart, so that each chunk keeps its heading and page.
/// </summary>
public static class RecursiveChunker
{
    private static readonly string[] s_separators = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " "];

    public static IReadOnlyList<TextChunk> Chunk(IReadOnlyList<DocumentSection> sections, int chunkSize, int chunkOverlap)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkOverlap);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(chunkOverlap, chunkSize);
        var chunks = new List<TextChunk>();
        foreach (var section in sections)
        {
            foreach (var text in Split(Normalize(section.Text), 0, chunkSize, chunkOverlap))
            {
                if (text.Trim() is { Length: > 0 } trimmed)
                {
                    chunks.Add(new TextChunk(chunks.Count, trimmed, section.Heading, section.Page));
                }
            }
        }

        return chunks;
    }

    private static List<string> Split(string text, int level, int size, int overlap)
    {
        if (text.Length <= size)
        {
            return [text];
        }

        if (level == s_separators.Length)
        {
            // No separator left: hard cuts, still overlapping.
            var cuts = new List<string>();
            for (var start = 0; start < text.Length; start += size - overlap)
            {
                cuts.Add(text.Substring(start, Math.Min(size, text.Length - start)));
                if (start + size >= text.Length)
                {
                    break;
                }
            }

            return cuts;
        }

        var separator = s_separators[level];
        if (!text.Contains(separator, StringComparison.Ordinal))
        {
            return Split(text, level + 1, size, overlap);
        }

        // Pieces keep their separator at the end, so that joining them gives back the text.
        var pieces = new List<string>();
        var position = 0;
        while (position < text.Length)
        {
            var next = text.IndexOf(separator, position, StringComparison.Ordinal);
            var end = next < 0 ? text.Length : next + separator.Length;
            pieces.Add(text[position..end]);
            position = end;
        }

        var small = new List<string>();
        foreach (var piece in pieces)
        {
            small.AddRange(piece.Length <= size ? [piece] : Split(piece, level + 1, size, overlap));
        }

        return Merge(small, size, overlap);
    }

    /// <summary>Packs pieces into chunks of at most <paramref name="size"/>, each new chunk starting with the last pieces of the previous one up to <paramref name="overlap"/>.</summary>
    private static List<string> Merge(List<string> pieces, int size, int overlap)
    {
        var chunks = new List<string>();
        var current = new LinkedList<string>();
        var length = 0;
        foreach (var piece in pieces)
        {
            if (length + piece.Length > size && current.Count > 0)
            {
                chunks.Add(string.Concat(current));
                while (current.Count > 0 && (length > overlap || length + piece.Length > size))
                {
                    length -= current.First!.Value.Length;
                    current.RemoveFirst();
                }
            }

            current.AddLast(piece);
            length += piece.Length;
        }

        if (current.Count > 0)
        {
            chunks.Add(string.Concat(current));
        }

        return chunks;
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
}
