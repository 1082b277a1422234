using System.CommandLine;
using Microsoft.Playwright;
using OpeaChat.Benchmarks.Browser;
using OpeaChat.Benchmarks.Reporting;
using Spectre.Console;

namespace OpeaChat.Benchmarks.Cli;

/// <summary><c>browser</c>: the chat page in Chromium against the gateway behind it (issue 16).</summary>
public static class BrowserCommand
{
    private static readonly BrowserWorkload s_defaults = BrowserBenchmark.DefaultWorkload;

    private static readonly Option<string> s_web = OptionValues.Text("--web", "http://127.0.0.1:5080", "The running OpeaChat.Web whose chat page is measured.", "URL");
    private static readonly Option<string> s_gateway = OptionValues.Text("--gateway", "http://127.0.0.1:8888", "The ChatQnA gateway that web uses (for the same-run TTFT and tokens/s).", "URL");
    private static readonly Option<string?> s_apiKey = OptionValues.Create<string?>("--api-key", null,
        "The gateway's API key when it asks for one (default: OPEACHAT_API_KEY from the environment).", text => text, "KEY", showDefault: false);
    private static readonly Option<int> s_sends = OptionValues.Int("--sends", s_defaults.Sends, "Rounds; each sends from the page a new chat and a continuing chat, and the same prompt to the gateway three ways.", min: 1, max: 1000);
    private static readonly Option<int?> s_maxTokens = OptionValues.Create<int?>("--max-tokens", null,
        "max_tokens of every reply: sent to the gateway and set in the page's chat settings [default: the gateway's own].",
        text => OptionValues.ParseInt("--max-tokens", text, 1, 100_000), "N", showDefault: false);
    private static readonly Option<int> s_longReply = OptionValues.Int("--long-reply-tokens", s_defaults.LongReplyTokens, "Tokens of the long reply (ignore_eos) during which long tasks are counted; 0 leaves the check out.", min: 0, max: 100_000);
    private static readonly Option<int> s_loads = OptionValues.Int("--loads", s_defaults.Loads, "First loads of the page, each in a fresh browser context (empty cache).", min: 1, max: 100);
    private static readonly Option<int> s_warmup = OptionValues.Int("--warmup", s_defaults.WarmupSends, "Uncounted rounds first (page and gateway).", min: 0, max: 100);
    private static readonly Option<string> s_prompt = OptionValues.Text("--prompt", s_defaults.Prompt, "What is typed and sent.", "TEXT");
    private static readonly Option<int> s_timeout = OptionValues.Int("--timeout", (int)s_defaults.TimeoutSeconds, "Seconds one step may take (a load, a reply).", min: 1, max: 3600);
    private static readonly Option<string> s_chromium = OptionValues.Text("--chromium", "/usr/bin/chromium", "The Chromium to drive (Playwright cannot download its own here).", "PATH");
    private static readonly Option<string> s_output = OptionValues.Text("--output", ResultFiles.DefaultDirectory, "Folder for the results.", "DIR");
    private static readonly Option<string> s_name = OptionValues.Text("--name", "browser", "Writes NAME.json and NAME.md.", "NAME");

    public static Command Command { get; } = Create();

    private static Command Create()
    {
        var command = new Command("browser", "The chat page in Chromium (Playwright): Enter -> first reply text painted, painted tokens/s, Enter -> reply stored, " +
            "long tasks while a long reply streams, and the first load; the same prompt straight to the gateway in the same run for its TTFT and tokens/s.")
        {
            s_web, s_gateway, s_apiKey, s_sends, s_maxTokens, s_longReply, s_loads, s_warmup, s_prompt, s_timeout, s_chromium, s_output, s_name,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var web = AbsoluteUrl(line.GetValue(s_web), "--web");
        var gateway = AbsoluteUrl(line.GetValue(s_gateway), "--gateway");
        var chromium = line.GetValue(s_chromium)!;
        if (!File.Exists(chromium))
        {
            throw new CommandLineException($"--chromium: no browser at {chromium} (apt-get install -y chromium).");
        }

        var workload = s_defaults with
        {
            Prompt = line.GetValue(s_prompt)!,
            Sends = line.GetValue(s_sends),
            MaxTokens = line.GetValue(s_maxTokens),
            LongReplyTokens = line.GetValue(s_longReply),
            Loads = line.GetValue(s_loads),
            WarmupSends = line.GetValue(s_warmup),
            TimeoutSeconds = line.GetValue(s_timeout),
        };
        var apiKey = line.GetValue(s_apiKey) ?? Environment.GetEnvironmentVariable("OPEACHAT_API_KEY");
        var benchmark = new BrowserBenchmark(new BrowserTargets(web, gateway, string.IsNullOrEmpty(apiKey) ? null : apiKey, chromium), workload);

        BrowserResult result;
        try
        {
            result = await AnsiConsole.Status().StartAsync("starting Chromium", async status =>
                await benchmark.RunAsync(new SynchronousProgress<string>(step =>
                {
                    // A terminal shows the step in the spinner's line; a log gets one line a step.
                    if (AnsiConsole.Profile.Capabilities.Interactive)
                    {
                        status.Status(step);
                    }
                    else
                    {
                        AnsiConsole.MarkupLineInterpolated($"[grey]{step}[/]");
                    }
                }), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is PlaywrightException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // Playwright's own failures (the page never became ready, a reply never ended) in the benchmark's words.
            throw new InvalidOperationException($"The browser could not finish: {exception.Message}", exception);
        }

        result = result with { Machine = result.Machine with { LoadAverageAtEnd = MachineProbe.LoadAverage() } };
        var markdown = BrowserReport.Markdown(result);
        AnsiConsole.WriteLine(markdown);
        var (json, file) = await ResultFiles.WriteAsync(result, BrowserJsonContext.Default.BrowserResult, markdown,
            line.GetValue(s_output)!, line.GetValue(s_name)!, cancellationToken).ConfigureAwait(false);
        AnsiConsole.MarkupLineInterpolated($"Wrote [green]{json}[/] and [green]{file}[/].");
        return 0;
    }

    private static Uri AbsoluteUrl(string? text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new CommandLineException($"{option} must be an absolute http(s) URL, such as http://127.0.0.1:5080, not '{text}'.");
}
