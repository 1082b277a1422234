using System.CommandLine;
using OpeaChat.Benchmarks.Synth;
using OpeaChat.Contracts.OpenAi;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>synth</c>: a random-weight Llama GGUF of a chosen shape, with another model's tokenizer.</summary>
public static class SynthCommand
{
    private static readonly Option<string?> s_vocabFrom = OptionValues.RequiredText("--vocab-from", "The GGUF whose tokenizer.* metadata is copied (required).", "SOURCE.gguf");
    private static readonly Option<int?> s_dim = OptionValues.RequiredInt("--dim", "Embedding width, a multiple of 32 (required; e.g. 1024).", min: 1);
    private static readonly Option<int?> s_layers = OptionValues.RequiredInt("--layers", "Transformer blocks (required; e.g. 12).", min: 1);
    private static readonly Option<int?> s_ffn = OptionValues.RequiredInt("--ffn", "Feed-forward width, a multiple of 32 (required; e.g. 2816).", min: 1);
    private static readonly Option<int?> s_heads = OptionValues.RequiredInt("--heads", "Attention heads (required; e.g. 16).", min: 1);
    private static readonly Option<int?> s_kvHeads = OptionValues.RequiredInt("--kv-heads", "Key-value heads, dividing --heads (required; e.g. 4).", min: 1);
    private static readonly Option<string?> s_output = OptionValues.RequiredText("--output", "The GGUF file to write (required).", "OUT.gguf");
    private static readonly Option<int> s_contextLength = OptionValues.Int("--context-length", 2048, "The model's trained context length.", min: 1);
    private static readonly Option<int> s_seed = OptionValues.Int("--seed", 1, "Seed of the random weights.", min: 0);
    private static readonly Option<float> s_std = OptionValues.Float("--std", 0.02f, "Standard deviation of the weights.", 1e-6f, 1f);

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("synth", "Writes a random-weight Llama GGUF: Q8_0 matrices of normal(0, std) values, F32 norms, the tokenizer.* " +
            "metadata of SOURCE. Gibberish, real cost per token.")
        {
            s_vocabFrom, s_dim, s_layers, s_ffn, s_heads, s_kvHeads, s_output, s_contextLength, s_seed, s_std,
        };
        command.Validators.Add(result =>
        {
            foreach (var option in new Option[] { s_vocabFrom, s_dim, s_layers, s_ffn, s_heads, s_kvHeads, s_output })
            {
                if (result.GetResult(option) is not { Implicit: false })
                {
                    result.AddError($"'synth' needs {option.Name}.");
                }
            }
        });
        command.SetAction(RunAsync);
        return command;
    }

    private static Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var source = line.GetValue(s_vocabFrom)!;
        if (!File.Exists(source))
        {
            throw new CommandLineException($"--vocab-from: {source} does not exist.");
        }

        var shape = new LlamaShape(
            line.GetValue(s_dim)!.Value,
            line.GetValue(s_layers)!.Value,
            line.GetValue(s_ffn)!.Value,
            line.GetValue(s_heads)!.Value,
            line.GetValue(s_kvHeads)!.Value,
            line.GetValue(s_contextLength));
        if (shape.Problems() is { Count: > 0 } problems)
        {
            throw new CommandLineException(string.Join(" ", problems));
        }

        var output = line.GetValue(s_output)!;
        var seed = line.GetValue(s_seed);
        var std = line.GetValue(s_std);
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
