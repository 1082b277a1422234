using System.Buffers;
using System.Globalization;
using System.Text;

namespace OpeaChat.ChatQnA.Retrieval.Store;

/// <summary>Receives one token; the span is only valid during the call.</summary>
internal delegate void TokenHandler(ReadOnlySpan<char> token);

/// <summary>
/// The tokens FTS5's <c>unicode61 remove_diacritics 2</c> tokenizer makes of a text, for the in-memory BM25 index:
/// runs of letters (L*), numbers (N*) and private-use characters (Co), lower-cased, diacritics removed (combining
/// marks U+0300–U+036F are part of a token and dropped; precomposed letters fold to their base letter).
/// </summary>
internal static class FullTextTokenizer
{
    // The folded form of each BMP code point, computed once on first sight: 0 = not yet known, -1 = separator.
    private static readonly int[] s_folded = new int[char.MaxValue + 1];

    public static void Tokenize(ReadOnlySpan<char> text, TokenHandler onToken)
    {
        var buffer = ArrayPool<char>.Shared.Rent(64);
        var length = 0;
        try
        {
            var i = 0;
            while (i < text.Length)
            {
                var character = text[i];
                if (character < 128)
                {
                    i++;
                    if (char.IsAsciiLetterOrDigit(character))
                    {
                        Append((char)(character | (char.IsAsciiLetterUpper(character) ? 0x20 : 0)));
                    }
                    else
                    {
                        Flush();
                    }

                    continue;
                }

                Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed);
                i += consumed;
                var folded = rune.IsBmp ? FoldBmp((char)rune.Value) : Fold(rune);
                if (folded < 0)
                {
                    Flush();
                }
                else if (folded > 0)
                {
                    AppendRune(new Rune(folded));
                }
            }

            Flush();
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }

        void AppendRune(Rune rune)
        {
            Span<char> units = stackalloc char[2];
            var written = rune.EncodeToUtf16(units);
            for (var unit = 0; unit < written; unit++)
            {
                Append(units[unit]);
            }
        }

        void Append(char character)
        {
            if (length == buffer.Length)
            {
                var larger = ArrayPool<char>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<char>.Shared.Return(buffer);
                buffer = larger;
            }

            buffer[length++] = character;
        }

        void Flush()
        {
            if (length > 0)
            {
                onToken(buffer.AsSpan(0, length));
                length = 0;
            }
        }
    }

    /// <summary>The tokens of a text as strings (queries; the index uses <see cref="Tokenize"/> without allocating).</summary>
    public static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        Tokenize(text, token => tokens.Add(token.ToString()));
        return tokens;
    }

    private static int FoldBmp(char character)
    {
        var known = s_folded[character];
        if (known == 0)
        {
            known = Fold(new Rune(character));
            // Races only ever write the same value.
            s_folded[character] = known;
        }

        return known;
    }

    /// <summary>-1 for a separator, 0 for a mark that is dropped, else the folded code point.</summary>
    private static int Fold(Rune rune)
    {
        if (rune.Value is >= 0x300 and <= 0x36F)
        {
            return 0;
        }

        var category = Rune.GetUnicodeCategory(rune);
        if (!IsTokenCategory(category))
        {
            return -1;
        }

        var lower = Rune.ToLowerInvariant(rune);
        var decomposed = lower.ToString().Normalize(NormalizationForm.FormD);
        // A letter with diacritics decomposes into its base letter and combining marks: the base letter is kept.
        return Rune.DecodeFromUtf16(decomposed, out var first, out var consumed) == OperationStatus.Done
            && IsAllMarks(decomposed.AsSpan(consumed)) && IsTokenCategory(Rune.GetUnicodeCategory(first))
            ? first.Value
            : lower.Value;
    }

    private static bool IsAllMarks(ReadOnlySpan<char> rest)
    {
        foreach (var character in rest)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(character) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsTokenCategory(UnicodeCategory category) => category is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
        or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
        or UnicodeCategory.PrivateUse;
}
