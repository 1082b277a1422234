using System.CommandLine;
using OpeaChat.Benchmarks.Ingest;
using OpeaChat.Benchmarks.Synth;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>synth-bert</c>: a random-weight BERT encoder GGUF of a real embedding model's shape, for the ingest benchmark.</summary>
public static class SynthBertCommand
{
    private static readonly IReadOnlyDictionary<string, BertShape> s_presets = new Dictionary<string, BertShape>(StringComparer.Ordinal)
    {
        ["bge-small"] = BertShape.BgeSmall,
        ["minilm"] = BertShape.MiniLm,
    };

    private static readonly Option<Choice<BertShape>?> s_shape = OptionValues.Words("--shape", "bge-small",
        "The embedding model whose shape is copied: bge-small (bge-small-en-v1.5: 12 layers, 384 wide) or minilm (all-MiniLM-L6-v2: 6 layers).", s_presets);
    private static readonly Option<Choice<bool>?> s_rank = OptionValues.Bool("--rank", false, "Add the classification head of a reranker (bge-reranker's rank pooling).");
    private static readonly Option<string?> s_output = OptionValues.RequiredText("--output", "The GGUF file to write (required).", "OUT.gguf");
    private static readonly Option<int> s_seed = OptionValues.Int("--seed", 1, "Seed of the random weights.", min: 0);

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("synth-bert", "Writes a random-weight BERT GGUF (llama.cpp's bert architecture, Q8_0 matrices) with a WordPiece " +
            "vocabulary covering the ingest benchmark's text: meaningless vectors, the real cost per chunk of the model it copies.")
        {
            s_shape, s_rank, s_output, s_seed,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(s_output) is not { Implicit: false })
            {
                result.AddError($"'synth-bert' needs {s_output.Name}.");
            }
        });
        command.SetAction(RunAsync);
        return command;
    }

    private static Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var shape = line.GetValue(s_shape)?.Value ?? BertShape.BgeSmall;
        var output = line.GetValue(s_output)!;
        var result = SyntheticBert.Write(shape, WordPieceVocabulary.Create(SyntheticPdf.Words), line.GetValue(s_rank)?.Value ?? false, GgmlType.Q8_0,
            output, line.GetValue(s_seed), standardDeviation: 0.02f, progress: null, cancellationToken);
        AnsiConsole.MarkupLineInterpolated(
            $"Wrote [green]{result.Path}[/]: {result.Parameters / 1e6:F1}M parameters, {result.Bytes / (1024.0 * 1024.0):F1} MiB, vocabulary {result.VocabularySize}.");
        return Task.FromResult(0);
    }
}
