using OpeaChat.Benchmarks.Cli;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Benchmarks;

public sealed class CommandLineTests
{
    [Fact]
    public void Targets_are_read_as_kind_and_address_in_either_spelling_and_in_order()
    {
        var line = CommandLine.Parse(
            ["load", "--target", "chatqna", "http://127.0.0.1:8888", "--target", "openai=http://127.0.0.1:9009/", "--target", "inprocess", TestModel.Path, "--users", "1, 2,8"],
            LoadCommand.Options);

        var targets = line.GetAll(CommandLine.TargetOption).Select(text => TargetSpec.Parse(text)).ToList();
        Assert.Equal([TargetKind.ChatQnA, TargetKind.OpenAi, TargetKind.InProcess], targets.Select(target => target.Kind));
        Assert.Equal(new Uri("http://127.0.0.1:8888/"), targets[0].BaseUri);
        Assert.Equal(new Uri("http://127.0.0.1:9009/"), targets[1].BaseUri);
        Assert.Equal(Path.GetFullPath(TestModel.Path), targets[2].Address);
        Assert.Equal([1, 2, 8], line.GetIntList("--users", [1]));
    }

    [Fact]
    public void The_workload_and_engine_options_map_to_their_settings_with_the_documented_defaults()
    {
        var defaults = LoadCommand.ReadWorkload(CommandLine.Parse(["load"], LoadCommand.Options));
        Assert.Equal([1, 2, 4, 8, 16, 32], defaults.Users);
        Assert.Equal((4, 128, 64, 3, (bool?)null), (defaults.RequestsPerUser, defaults.PromptTokens, defaults.MaxTokens, defaults.WarmupRequests, defaults.CachePrompt));
        Assert.Equal(0.01f, defaults.Sampling.Temperature);

        var line = CommandLine.Parse(
            ["load", "--users", "2", "--requests", "3", "--prompt-tokens", "64", "--max-tokens", "16", "--cache-prompt", "false",
             "--threads", "1", "--parallel", "4", "--context", "4096", "--flash-attention", "false", "--temperature", "0"],
            LoadCommand.Options);
        var workload = LoadCommand.ReadWorkload(line);
        var engine = LoadCommand.ReadInProcessSettings(line);
        Assert.Equal((3, 64, 16, (bool?)false, 0f), (workload.RequestsPerUser, workload.PromptTokens, workload.MaxTokens, workload.CachePrompt, workload.Sampling.Temperature));
        Assert.Equal((1, 1, 4, 4096, false), (engine.Threads, engine.EffectiveBatchThreads, engine.MaxParallelSequences, engine.ContextSize, engine.FlashAttention));
    }

    [Theory]
    [InlineData("--bogus", "1", "Unknown option '--bogus'")]
    [InlineData("--users", "0,2", "--users must be a whole number from 1")]
    [InlineData("--users", "--requests", "--users needs a value")]
    [InlineData("--cache-prompt", "maybe", "--cache-prompt must be false, true or omit")]
    public void Mistakes_are_refused_with_a_message_that_names_the_option(string option, string value, string message)
    {
        var exception = Assert.Throws<CommandLineException>(() =>
            LoadCommand.ReadWorkload(CommandLine.Parse(["load", option, value], LoadCommand.Options)));
        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
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
    }

    [Fact]
    public void A_bare_url_means_the_default_kind_where_a_command_has_one()
    {
        Assert.Equal(TargetKind.OpenAi, TargetSpec.Parse("http://127.0.0.1:9009", TargetKind.OpenAi).Kind);
    }
}
