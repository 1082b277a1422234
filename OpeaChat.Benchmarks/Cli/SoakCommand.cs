using System.CommandLine;
using System.Globalization;
using System.Text;
using OpeaChat.Benchmarks.Soak;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>soak</c>: many streaming users for a fixed time with conversation writes mixed in; 5xx, 429 and RSS over time.</summary>
public static class SoakCommand
{
    private static readonly Option<string> s_gateway = OptionValues.Text("--gateway", "http://127.0.0.1:8888", "The gateway to soak (loopback only).", "URL");
    private static readonly Option<int> s_users = OptionValues.Int("--users", 64, "Concurrent streaming users (closed loop).", min: 1, max: 1024);
    private static readonly Option<int> s_duration = OptionValues.Int("--duration", 600, "Seconds to run.", min: 5, max: 3600);
    private static readonly Option<int> s_maxTokens = OptionValues.Int("--max-tokens", 32, "Output tokens per reply (ignore_eos).", min: 1, max: 4096);
    private static readonly Option<int> s_writeEvery = OptionValues.Int("--write-every", 4, "Every Nth request of a user goes into a new conversation (created, chatted, deleted); 0: none.", min: 0);
    private static readonly Option<int> s_sampleEvery = OptionValues.Int("--sample-every", 10, "Seconds between RSS readings.", min: 1, max: 600);
    private static readonly Option<string> s_services = OptionValues.Text("--services", "OpeaChat.Inference,OpeaChat.ChatQnA,OpeaChat.Web",
        "Processes whose RSS is read, by program name, comma-separated.", "NAMES");
    private static readonly Option<string> s_output = OptionValues.Text("--output", "results", "Folder for NAME.md.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "soak", "Writes NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("soak", "Streaming users against the gateway for a fixed time, with conversation writes mixed in: " +
            "counts 5xx (must be 0), 429 and errors, and samples the services' RSS (it must stay flat after warm-up).")
        {
            s_gateway, s_users, s_duration, s_maxTokens, s_writeEvery, s_sampleEvery, s_services, s_output, s_name,
        };
        command.SetAction(RunAsync);
        return command;
    }

    /// <summary>The soak the command line asks for; only a loopback gateway is accepted.</summary>
    public static SoakPlan ReadPlan(ParseResult line)
    {
        if (!Uri.TryCreate(line.GetValue(s_gateway), UriKind.Absolute, out var gateway) || gateway.Scheme is not ("http" or "https") || !gateway.IsLoopback)
        {
            throw new CommandLineException("--gateway must be an http address on this machine (loopback), such as http://127.0.0.1:8888.");
        }

        return new SoakPlan(new Uri(gateway, "/"), line.GetValue(s_users), TimeSpan.FromSeconds(line.GetValue(s_duration)), line.GetValue(s_maxTokens),
            line.GetValue(s_writeEvery), TimeSpan.FromSeconds(line.GetValue(s_sampleEvery)),
            line.GetValue(s_services)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var plan = ReadPlan(line);
        var result = await SoakRunner.RunAsync(plan, Console.WriteLine, cancellationToken);
        var report = Describe(result);
        Console.WriteLine(report);
        var directory = Directory.CreateDirectory(line.GetValue(s_output)!);
        var path = Path.Combine(directory.FullName, line.GetValue(s_name)! + ".md");
        await File.WriteAllTextAsync(path, report, cancellationToken);
        Console.WriteLine($"Written: {path}");
        return result.ServerErrors == 0 && result.TransportErrors == 0 && result.StreamErrors == 0 ? 0 : 1;
    }

    public static string Describe(SoakResult result)
    {
        var text = new StringBuilder();
        var plan = result.Plan;
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"Soak: {plan.Users} streaming users for {plan.Duration.TotalSeconds:0} s against {plan.Gateway}, {plan.MaxTokens} tokens a reply, every {plan.WriteEvery}th request in a new conversation.");
        text.AppendLine();
        text.AppendLine("| requests | 2xx | 429 | 5xx | other 4xx | stream errors | transport errors | conversations written |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        text.AppendLine(invariant, $"| {result.Requests} | {result.Ok} | {result.TooMany} | {result.ServerErrors} | {result.ClientErrors} | {result.StreamErrors} | {result.TransportErrors} | {result.ConversationWrites} |");
        text.AppendLine();
        text.AppendLine(invariant, $"Statuses: {string.Join(", ", result.StatusCounts.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key} × {pair.Value}"))}");
        text.AppendLine();
        var services = result.Rss.SelectMany(sample => sample.MiB.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        text.AppendLine("| time | " + string.Join(" | ", services.Select(service => service + " RSS (MiB)")) + " |");
        text.AppendLine("|---:|" + string.Concat(services.Select(_ => "---:|")));
        foreach (var sample in result.Rss)
        {
            var cells = string.Join(" | ", services.Select(service =>
                sample.MiB.TryGetValue(service, out var mib) ? mib.ToString("0", invariant) : "-"));
            text.AppendLine(invariant, $"| {sample.At:mm\\:ss} | {cells} |");
        }

        if (result.FirstFailures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("First failures:");
            foreach (var failure in result.FirstFailures)
            {
                text.AppendLine(invariant, $"- {failure}");
            }
        }

        return text.ToString();
    }
}
