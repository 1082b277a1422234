using OpeaChat.Benchmarks.Synth;
using OpeaChat.Contracts.OpenAi;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>synth</c>: a random-weight Llama GGUF of a chosen shape, with another model's tokenizer.</summary>
public static class SynthCommand
{
    public const string Usage = """
        synth --vocab-from SOURCE.gguf --dim 1024 --layers 12 --ffn 2816 --heads 16 --kv-heads 4 --output OUT.gguf
              [--context-length 2048] [--seed 1] [--std 0.02]
          Q8_0 matrices of normal(0, std) values, F32 norms, the tokenizer.* metadata of SOURCE. Gibberish, real cost per token.
        """;

    private static readonly string[] s_options =
        ["--vocab-from", "--dim", "--layers", "--ffn", "--heads", "--kv-heads", "--output", "--context-length", "--seed", "--std"];

    public static Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var line = CommandLine.Parse(args, s_options);
        var source = line.GetRequired("--vocab-from");
        if (!File.Exists(source))
        {
            throw new CommandLineException($"--vocab-from: {source} does not exist.");
        }

        var shape = new LlamaShape(
            line.GetRequiredInt("--dim", min: 1),
            line.GetRequiredInt("--layers", min: 1),
            line.GetRequiredInt("--ffn", min: 1),
            line.GetRequiredInt("--heads", min: 1),
            line.GetRequiredInt("--kv-heads", min: 1),
            line.GetInt("--context-length", 2048, min: 1));
        if (shape.Problems() is { Count: > 0 } problems)
        {
            throw new CommandLineException(string.Join(" ", problems));
        }

        var output = line.GetRequired("--output");
        var seed = line.GetInt("--seed", 1, min: 0);
        var std = line.GetFloat("--std", 0.02f, 1e-6f, 1f);
        SynthResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"Writing {Markup.Escape(Path.GetFileName(output))}", maxValue: 1);
                result = SyntheticLlama.Write(source, shape, output, seed, std, new SynchronousProgress<double>(fraction => task.Value = fraction), cancellationToken);
            });

        AnsiConsole.MarkupLineInterpolated(
            $"Wrote [green]{result!.Path}[/]: {result.Parameters / 1e6:F1}M parameters, {result.Bytes / (1024.0 * 1024.0):F1} MiB, vocabulary {result.VocabularySize} ({result.TokenizerKeys} tokenizer keys copied).");
        return Task.FromResult(0);
    }
}
