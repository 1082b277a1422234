using OpeaChat.Benchmarks.Cli;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

public sealed class CommandLineTests
{
    [Fact]
    public void Targets_are_read_as_kind_and_address_in_either_spelling_and_in_order()
    {
        var line = BenchmarkCli.Parse(
            ["load", "--target", "chatqna", "http://127.0.0.1:8888", "--target", "openai=http://127.0.0.1:9009/", "--target", "inprocess", TestModel.Path, "--users", "1, 2,8"]);

        Assert.Empty(BenchmarkCli.Problems(line));
        var targets = LoadCommand.ReadTargets(line);
        Assert.Equal([TargetKind.ChatQnA, TargetKind.OpenAi, TargetKind.InProcess], targets.Select(target => target.Kind));
        Assert.Equal(new Uri("http://127.0.0.1:8888/"), targets[0].BaseUri);
        Assert.Equal(new Uri("http://127.0.0.1:9009/"), targets[1].BaseUri);
        Assert.Equal(Path.GetFullPath(TestModel.Path), targets[2].Address);
        Assert.Equal([1, 2, 8], LoadCommand.ReadWorkload(line).Users);
    }

    [Fact]
    public void The_workload_and_engine_options_map_to_their_settings_with_the_documented_defaults()
    {
        var bare = BenchmarkCli.Parse(["load", "--target", "openai", "http://127.0.0.1:9009"]);
        Assert.Empty(BenchmarkCli.Problems(bare));
        var defaults = LoadCommand.ReadWorkload(bare);
        Assert.Equal([1, 2, 4, 8, 16, 32], defaults.Users);
        Assert.Equal((4, 128, 64, 3, (bool?)null), (defaults.RequestsPerUser, defaults.PromptTokens, defaults.MaxTokens, defaults.WarmupRequests, defaults.CachePrompt));
        Assert.Equal(0.01f, defaults.Sampling.Temperature);

        var line = BenchmarkCli.Parse(
            ["load", "--target", "openai", "http://127.0.0.1:9009", "--users", "2", "--requests", "3", "--prompt-tokens", "64", "--max-tokens", "16", "--cache-prompt", "false",
             "--threads", "1", "--parallel", "4", "--context", "4096", "--flash-attention", "false", "--temperature", "0"]);
        var workload = LoadCommand.ReadWorkload(line);
        var engine = LoadCommand.ReadInProcessSettings(line);
        Assert.Empty(BenchmarkCli.Problems(line));
        Assert.Equal((3, 64, 16, (bool?)false, 0f), (workload.RequestsPerUser, workload.PromptTokens, workload.MaxTokens, workload.CachePrompt, workload.Sampling.Temperature));
        Assert.Equal((1, 1, 4, 4096, false), (engine.Threads, engine.EffectiveBatchThreads, engine.MaxParallelSequences, engine.ContextSize, engine.FlashAttention));
    }

    [Fact]
    public void An_option_given_twice_takes_its_last_value()
    {
        var line = BenchmarkCli.Parse(["load", "--target", "openai", "http://127.0.0.1:9009", "--max-tokens", "8", "--max-tokens", "16"]);

        Assert.Empty(BenchmarkCli.Problems(line));
        Assert.Equal(16, LoadCommand.ReadWorkload(line).MaxTokens);
    }

    [Theory]
    [InlineData("--bogus", "1", "Unknown option '--bogus'")]
    [InlineData("--users", "0,2", "--users must be a whole number from 1")]
    [InlineData("--users", "--requests", "--users needs a value")]
    [InlineData("--cache-prompt", "maybe", "--cache-prompt must be false, true or omit")]
    public void Mistakes_are_refused_with_a_message_that_names_the_option(string option, string value, string message)
    {
        var problems = BenchmarkCli.Problems(BenchmarkCli.Parse(["load", "--target", "openai", "http://127.0.0.1:9009", option, value]));
        Assert.Contains(problems, problem => problem.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "load" }, "load needs at least one --target")]
    [InlineData(new[] { "load", "--target", "inprocess" }, "--target needs a value")]
    [InlineData(new[] { "synth", "--dim", "128" }, "'synth' needs --vocab-from")]
    [InlineData(new[] { "bench" }, "Unknown command 'bench'")]
    public void Missing_values_and_unknown_commands_are_refused_with_the_reason(string[] args, string message)
    {
        Assert.Contains(BenchmarkCli.Problems(BenchmarkCli.Parse(args)), problem => problem.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("gateway=http://x", "Unknown target kind 'gateway'")]
    [InlineData("openai=ftp://x", "needs an http(s) URL")]
    [InlineData("inprocess=/no/such/model.gguf", "does not exist")]
    [InlineData("http://127.0.0.1:9009", "needs a kind and an address")]
    public void Bad_targets_are_refused_with_the_reason(string text, string message)
    {
        var exception = Assert.Throws<CommandLineException>(() => TargetSpec.Parse(text));
        Assert.Contains(message, exception.Message, StringComparison.Ordinal);

        // The same reason comes back from the command line.
        Assert.Contains(BenchmarkCli.Problems(BenchmarkCli.Parse(["load", "--target", text])), problem => problem.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_bare_url_means_the_default_kind_where_a_command_has_one()
    {
        Assert.Equal(TargetKind.OpenAi, TargetSpec.Parse("http://127.0.0.1:9009", TargetKind.OpenAi).Kind);
        Assert.Empty(BenchmarkCli.Problems(BenchmarkCli.Parse(["prefix", "--target", "http://127.0.0.1:9009", "--turns", "2"])));
    }

    [Theory]
    [InlineData("load", "--target", "--users", "--cache-prompt", "--prefix-slots", "--name")]
    [InlineData("prefix", "--target", "--turns", "--max-tokens", "--output", "--name")]
    [InlineData("synth", "--vocab-from", "--dim", "--layers", "--ffn", "--heads", "--kv-heads", "--output", "--context-length", "--seed", "--std")]
    public async Task Help_works_for_every_command_and_lists_its_options(string command, params string[] options)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            using var output = new StringWriter();
            var exitCode = await BenchmarkCli.RunAsync([command, help], output);

            Assert.Equal(0, exitCode);
            var text = output.ToString();
            Assert.Contains(command, text, StringComparison.Ordinal);
            Assert.All(options, option => Assert.Contains(option, text, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Help_at_the_top_lists_the_commands_and_no_command_is_an_error()
    {
        foreach (var (args, expectedExitCode) in new[] { (new[] { "--help" }, 0), (["help"], 0), ([], 1) })
        {
            using var output = new StringWriter();
            Assert.Equal(expectedExitCode, await BenchmarkCli.RunAsync(args, output));
            Assert.All(new[] { "load", "prefix", "synth", "Exit codes" }, word => Assert.Contains(word, output.ToString(), StringComparison.Ordinal));
        }
    }
}
