using OpeaChat.Benchmarks.Cli;

namespace OpeaChat.Tests.Benchmarks;

public sealed class SoakCommandTests
{
    [Fact]
    public void The_defaults_are_the_issue_s_soak_64_users_for_10_minutes_with_writes_mixed_in()
    {
        var line = BenchmarkCli.Parse(["soak"]);
        Assert.Empty(BenchmarkCli.Problems(line));
        var plan = SoakCommand.ReadPlan(line);
        Assert.Equal((64, TimeSpan.FromMinutes(10), 4), (plan.Users, plan.Duration, plan.WriteEvery));
        Assert.Equal(new Uri("http://127.0.0.1:8888/"), plan.Gateway);
        Assert.Equal(["OpeaChat.Inference", "OpeaChat.ChatQnA", "OpeaChat.Web"], plan.Services);
    }

    [Theory]
    [InlineData("http://example.com:8888")]
    [InlineData("http://10.0.0.5:8888")]
    [InlineData("ftp://127.0.0.1/")]
    [InlineData("not a url")]
    public void A_gateway_off_this_machine_is_refused(string gateway)
    {
        var line = BenchmarkCli.Parse(["soak", "--gateway", gateway]);
        var exception = Assert.Throws<CommandLineException>(() => SoakCommand.ReadPlan(line));
        Assert.Contains("loopback", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--duration", "3601")]
    [InlineData("--users", "0")]
    public void Bounds_are_enforced(string option, string value)
    {
        Assert.NotEmpty(BenchmarkCli.Problems(BenchmarkCli.Parse(["soak", option, value])));
    }
}
