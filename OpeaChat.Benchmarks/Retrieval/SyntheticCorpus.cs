using System.Text;

namespace OpeaChat.Benchmarks.Retrieval;

/// <summary>
/// Deterministic synthetic chunks: text of pseudo-words drawn with a Zipf-like skew (some words common, most rare,
/// as in prose, so BM25 has both long and short posting lists), and normally distributed vectors, L2-normalised.
/// </summary>
public sealed class SyntheticCorpus(int dimensions, int wordsPerChunk, int seed)
{
    public const int VocabularySize = 20_000;

    private readonly Random _random = new(seed);
    private readonly string[] _vocabulary = BuildVocabulary(seed);

    public string Text()
    {
        var text = new StringBuilder(wordsPerChunk * 8);
        for (var i = 0; i < wordsPerChunk; i++)
        {
            text.Append(i == 0 ? string.Empty : " ").Append(Word());
        }

        return text.ToString();
    }

    /// <summary>A query of a few words, as a question would have.</summary>
    public string Query(int words) => string.Join(' ', Enumerable.Range(0, words).Select(_ => Word()));

    public float[] Vector()
    {
        var vector = new float[dimensions];
        double squares = 0;
        for (var i = 0; i < dimensions; i++)
        {
            // Box-Muller: a normal distribution makes directions uniform on the sphere.
            var value = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
            vector[i] = (float)value;
            squares += value * value;
        }

        var scale = (float)(1 / Math.Sqrt(squares));
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] *= scale;
        }

        return vector;
    }

    /// <summary>Index drawn as exp(uniform × ln V): word i comes up about 1/i as often as word 1.</summary>
    private string Word() => _vocabulary[(int)Math.Exp(_random.NextDouble() * Math.Log(VocabularySize)) - 1];

    private static string[] BuildVocabulary(int seed)
    {
        var random = new Random(seed ^ 0x5eed);
        const string letters = "abcdefghijklmnopqrstuvwxyz";
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < VocabularySize)
        {
            var length = random.Next(3, 10);
            words.Add(string.Create(length, random, (span, r) =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = letters[r.Next(letters.Length)];
                }
            }));
        }

        return [.. words];
    }
}
