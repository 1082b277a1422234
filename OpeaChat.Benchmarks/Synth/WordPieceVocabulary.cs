using System.Globalization;
using OpeaChat.Inference.Models;

namespace OpeaChat.Benchmarks.Synth;

/// <summary>
/// A small BERT WordPiece tokenizer (llama.cpp's <c>bert</c> tokenizer model) for a synthetic encoder: BERT's special
/// tokens at their usual ids ([PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103), the given words and the numbers
/// 0–999 as whole tokens, and every letter and digit as a start and a continuation piece, so any ASCII text
/// tokenizes. Text made of the given words splits as bge-small's 30,522-token vocabulary splits it (one token a word,
/// a number or a punctuation mark), so tokens per chunk, and with them the cost, are those of the real model.
/// Words are written as llama.cpp's converter writes them: a word start with "▁", a continuation piece bare.
/// </summary>
public static class WordPieceVocabulary
{
    private const string WordStart = "\u2581";
    private const int ControlTokenType = 3;
    private const int NormalTokenType = 1;

    public static IReadOnlyList<KeyValuePair<string, GgufValue>> Create(IEnumerable<string> words)
    {
        var tokens = new List<string> { "[PAD]" };
        while (tokens.Count < 100)
        {
            tokens.Add(string.Create(CultureInfo.InvariantCulture, $"[unused{tokens.Count}]"));
        }

        tokens.AddRange(["[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
        var pieces = new HashSet<string>(tokens, StringComparer.Ordinal);
        void Add(string piece)
        {
            if (pieces.Add(piece))
            {
                tokens.Add(piece);
            }
        }

        const string characters = "abcdefghijklmnopqrstuvwxyz0123456789";
        foreach (var character in characters)
        {
            Add(WordStart + character);
            Add(character.ToString());
        }

        foreach (var punctuation in ".,:;!?'\"()[]{}-_/\\@#$%&*+=<>|~`")
        {
            Add(WordStart + punctuation);
        }

        for (var number = 0; number < 1000; number++)
        {
            Add(WordStart + number.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var word in words)
        {
            Add(WordStart + word.ToLowerInvariant());
        }

        static GgufValue Array(GgufType type, IReadOnlyList<object> items) => new(GgufType.Array, new GgufArray(type, items.Count) { Items = items });
        return
        [
            new("tokenizer.ggml.model", GgufValue.String("bert")),
            new("tokenizer.ggml.tokens", Array(GgufType.String, tokens)),
            new("tokenizer.ggml.scores", Array(GgufType.Float32, tokens.Select(_ => (object)0f).ToList())),
            new("tokenizer.ggml.token_type", Array(GgufType.Int32, tokens.Select(token => (object)(token.StartsWith('[') && token.EndsWith(']') && token.Length > 2 ? ControlTokenType : NormalTokenType)).ToList())),
            new("tokenizer.ggml.bos_token_id", GgufValue.UInt32(101)),
            new("tokenizer.ggml.seperator_token_id", GgufValue.UInt32(102)),
            new("tokenizer.ggml.unknown_token_id", GgufValue.UInt32(100)),
            new("tokenizer.ggml.padding_token_id", GgufValue.UInt32(0)),
            new("tokenizer.ggml.mask_token_id", GgufValue.UInt32(103)),
        ];
    }
}
