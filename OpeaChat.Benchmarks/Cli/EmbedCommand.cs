using System.CommandLine;
using OpeaChat.Benchmarks.Embeddings;
using OpeaChat.Benchmarks.Reporting;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>embed</c>: embedding throughput, one chunk a decode against many, with the inference service's embedder.</summary>
public static class EmbedCommand
{
    private static readonly Option<string?> s_model = OptionValues.RequiredText("--model", "The GGUF to embed with (required; an embedding model or a chat model).", "MODEL.gguf");
    private static readonly Option<int> s_chunks = OptionValues.Int("--chunks", 64, "Chunks embedded in each mode.", min: 1, max: 100_000);
    private static readonly Option<int> s_words = OptionValues.Int("--words", 40, "Words per chunk.", min: 1, max: 10_000);
    private static readonly Option<int> s_sequences = OptionValues.Int("--max-sequences", 16, "Chunks per decode when batched (Inference:EmbeddingMaxSequences).", min: 1, max: 64);
    private static readonly Option<int> s_batchTokens = OptionValues.Int("--batch-tokens", 2048, "Tokens per decode (Inference:EmbeddingBatchSize).", min: 64, max: 65_536);
    private static readonly Option<int> s_threads = OptionValues.Int("--threads", 1, "CPU threads.", min: 1, max: 1024);
    private static readonly Option<string> s_output = OptionValues.Text("--output", ResultFiles.DefaultDirectory, "Folder for the results.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "embed", "Writes NAME.json and NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("embed", "Chunks per second embedded one at a time and batched (several sequences in one decode), in one run, in this process.")
        {
            s_model, s_chunks, s_words, s_sequences, s_batchTokens, s_threads, s_output, s_name,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(s_model) is not { Implicit: false })
            {
                result.AddError($"'embed' needs {s_model.Name}.");
            }
        });
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var model = line.GetValue(s_model)!;
        if (!File.Exists(model))
        {
            throw new CommandLineException($"--model: {model} does not exist.");
        }

        var result = await EmbeddingBenchmark.RunAsync(model, line.GetValue(s_chunks), line.GetValue(s_words), line.GetValue(s_sequences),
            line.GetValue(s_batchTokens), line.GetValue(s_threads), cancellationToken).ConfigureAwait(false);
        var markdown = EmbeddingBenchmark.Markdown(result);
        AnsiConsole.WriteLine(markdown);
        var (json, file) = await ResultFiles.WriteAsync(result, EmbeddingJsonContext.Default.EmbeddingResult, markdown,
            line.GetValue(s_output)!, line.GetValue(s_name)!, cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{file}[/].");
        return 0;
    }
}
