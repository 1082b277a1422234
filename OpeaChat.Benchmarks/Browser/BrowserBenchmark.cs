using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OpeaChat.Benchmarks.Reporting;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Opea;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.Benchmarks.Browser;

/// <summary>What a <c>browser</c> run needs: the page, the gateway behind it, and Chromium.</summary>
public sealed record BrowserTargets(Uri Web, Uri Gateway, string? ApiKey, string ChromiumPath);

/// <summary>
/// Issue 16's measurement: Chromium (through Playwright) types prompts into the chat page and presses Enter, as a
/// person does, while a probe in the page (<c>page-probe.js</c>) times the reply's first text, its paint, its growth
/// frame by frame, the stored reply and the browser's long tasks; the same prompt goes straight to the gateway in the
/// same run, interleaved, for its TTFT and streamed tokens/s. Also the page's first load.
/// </summary>
public sealed class BrowserBenchmark(BrowserTargets targets, BrowserWorkload workload)
{
    public static readonly BrowserWorkload DefaultWorkload = new(
        Prompt: "Once upon a time", Sends: 5, MaxTokens: null, LongReplyTokens: 2000, Loads: 3, WarmupSends: 1, TimeoutSeconds: 120,
        ViewportWidth: 1200, ViewportHeight: 760, AverageCharactersPerToken: 4);

    public static readonly BrowserGoals Goals = new(FirstPaintOverTtftMs: 50, TokensPerSecondRatio: 0.95, LongTaskMs: 50, InputUsableMs: 1000);

    /// <summary>The flags of the project's browser tests (OpeaChat.Tests/Infrastructure/Browser.cs) and --headless.</summary>
    public static readonly IReadOnlyList<string> ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private static readonly string s_probe = LoadProbe();

    /// <summary>The last page send's Enter and Send-enabled times (page clock).</summary>
    private (double From, double To) _lastWindow;

    private float TimeoutMs => (float)(workload.TimeoutSeconds * 1000);

    /// <param name="progress">Each step's name as it starts ("load 1", "round 2: page new chat", …).</param>
    public async Task<BrowserResult> RunAsync(IProgress<string> progress, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var loadAverage = MachineProbe.LoadAverage();
        using var gateway = CreateGatewayClient();
        var model = await GatewayModelAsync(gateway, cancellationToken).ConfigureAwait(false);

        using var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = targets.ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        }).ConfigureAwait(false);

        var loads = new List<PageLoad>();
        for (var i = 1; i <= workload.Loads; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress.Report($"first load {i}");
            loads.Add(await MeasureLoadAsync(browser, i).ConfigureAwait(false));
        }

        await using var context = await NewContextAsync(browser).ConfigureAwait(false);
        var page = await context.NewPageAsync().ConfigureAwait(false);
        await OpenAsync(page).ConfigureAwait(false);

        for (var i = 1; i <= workload.WarmupSends; i++)
        {
            progress.Report($"warm-up {i}");
            await PageSendAsync(page, gateway, round: 0, BrowserKinds.PageNewChat, newChat: true, cancellationToken).ConfigureAwait(false);
            await StreamChatQnAAsync(gateway, round: 0, cancellationToken).ConfigureAwait(false);
            await GatewayConversationAsync(gateway, round: 0, conversation: null, cancellationToken).ConfigureAwait(false);
        }

        var pageSends = new List<PageSend>();
        var gatewaySends = new List<GatewaySend>();
        for (var round = 1; round <= workload.Sends; round++)
        {
            // Page and gateway take turns, so the machine's noise falls on both alike.
            progress.Report($"round {round}: page, new chat");
            pageSends.Add(await PageSendAsync(page, gateway, round, BrowserKinds.PageNewChat, newChat: true, cancellationToken).ConfigureAwait(false));
            progress.Report($"round {round}: gateway /v1/chatqna");
            gatewaySends.Add(await StreamChatQnAAsync(gateway, round, cancellationToken).ConfigureAwait(false));
            progress.Report($"round {round}: gateway, new conversation");
            var (created, conversation) = await GatewayConversationAsync(gateway, round, conversation: null, cancellationToken).ConfigureAwait(false);
            gatewaySends.Add(created);
            progress.Report($"round {round}: page, continuing chat");
            pageSends.Add(await PageSendAsync(page, gateway, round, BrowserKinds.PageContinueChat, newChat: false, cancellationToken).ConfigureAwait(false));
            progress.Report($"round {round}: gateway, continuing conversation");
            if (conversation is { } id)
            {
                gatewaySends.Add((await GatewayConversationAsync(gateway, round, id, cancellationToken).ConfigureAwait(false)).Send);
            }
        }

        LongReplyResult? longReply = null;
        if (workload.LongReplyTokens > 0)
        {
            progress.Report($"long reply ({workload.LongReplyTokens} tokens asked)");
            longReply = await LongReplyAsync(page, gateway, cancellationToken).ConfigureAwait(false);
        }

        var summaries = Summarize(pageSends, gatewaySends);
        return new BrowserResult
        {
            Web = targets.Web.ToString(),
            Gateway = targets.Gateway.ToString(),
            Model = model,
            Browser = $"Chromium {browser.Version} ({targets.ChromiumPath}, headless)",
            StartedAt = startedAt,
            FinishedAt = DateTimeOffset.UtcNow,
            Machine = MachineProbe.Describe(loadAverage),
            Workload = workload,
            Goals = Goals,
            Loads = loads,
            InputWiredMs = Stat.Of(loads.Select(load => (double?)load.InputWiredMs)),
            PageReadyMs = Stat.Of(loads.Select(load => (double?)load.PageReadyMs)),
            TransferBytes = Stat.Of(loads.Select(load => (double?)load.TransferBytes)),
            PageSends = pageSends,
            GatewaySends = gatewaySends,
            Summaries = summaries,
            Comparisons = Compare(summaries),
            LongReply = longReply,
        };
    }

    private HttpClient CreateGatewayClient()
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = targets.Gateway,
            Timeout = TimeSpan.FromSeconds(workload.TimeoutSeconds),
        };
        if (!string.IsNullOrEmpty(targets.ApiKey))
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", targets.ApiKey);
        }

        return client;
    }

    /// <summary>The model the gateway answers with (a short non-streamed /v1/chatqna request, which also warms it).</summary>
    private async Task<string?> GatewayModelAsync(HttpClient gateway, CancellationToken cancellationToken)
    {
        using var response = await gateway.PostAsJsonAsync("v1/chatqna", ChatQnARequest(stream: false, maxTokens: 4), OpeaJsonContext.Default.OpeaChatRequest, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The gateway {targets.Gateway} refused /v1/chatqna: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }

        var answer = await response.Content.ReadFromJsonAsync(OpeaJsonContext.Default.OpeaChatResponse, cancellationToken).ConfigureAwait(false);
        return answer?.Model;
    }

    private async Task<IBrowserContext> NewContextAsync(IBrowser browser)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = workload.ViewportWidth, Height = workload.ViewportHeight },
        }).ConfigureAwait(false);
        await context.AddInitScriptAsync(s_probe).ConfigureAwait(false);
        return context;
    }

    private async Task OpenAsync(IPage page)
    {
        await page.GotoAsync(targets.Web.ToString(), new() { WaitUntil = WaitUntilState.Commit, Timeout = TimeoutMs }).ConfigureAwait(false);
        await page.WaitForFunctionAsync("() => window.__opeaBench?.load.input_wired !== undefined && window.__opeaBench?.load.page_ready !== undefined",
            null, new() { Timeout = TimeoutMs, PollingInterval = 20 }).ConfigureAwait(false);
    }

    private async Task<PageLoad> MeasureLoadAsync(IBrowser browser, int number)
    {
        // A fresh context each time: an empty cache, as a person's first visit.
        await using var context = await NewContextAsync(browser).ConfigureAwait(false);
        var page = await context.NewPageAsync().ConfigureAwait(false);
        await OpenAsync(page).ConfigureAwait(false);
        var load = await page.EvaluateAsync<JsonElement>("() => window.__opeaBench.load").ConfigureAwait(false);

        // Interactive means typing works: a character typed now is in the box (then it is taken out again).
        await page.ClickAsync("#chat-input").ConfigureAwait(false);
        await page.Keyboard.TypeAsync("x").ConfigureAwait(false);
        var typed = await page.EvalOnSelectorAsync<string>("#chat-input", "element => element.value").ConfigureAwait(false);
        await page.Keyboard.PressAsync("Backspace").ConfigureAwait(false);

        try
        {
            // Late resources (fonts, the theme's) count too; the circuit's WebSocket does not keep the network busy.
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new() { Timeout = 5_000 }).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        var transfer = await page.EvaluateAsync<JsonElement>("() => window.__opeaBench.transfer()").ConfigureAwait(false);
        var wired = load.GetProperty("input_wired").GetDouble();
        var ready = load.GetProperty("page_ready").GetDouble();
        var tasks = await LongTasksAsync(page, 0, Math.Max(wired, ready)).ConfigureAwait(false);
        return new PageLoad(
            number, Number(load, "input_shown") ?? double.NaN, Number(load, "textarea_defined"), wired, ready,
            Number(transfer, "first_contentful_paint"), Number(transfer, "dom_content_loaded"), Number(transfer, "load_event"),
            transfer.GetProperty("resources").GetInt32(), (long)transfer.GetProperty("transfer_size").GetDouble(),
            (long)transfer.GetProperty("encoded_body_size").GetDouble(), (long)transfer.GetProperty("decoded_body_size").GetDouble(),
            tasks, typed == "x");
    }

    /// <summary>One message typed into the page and sent with Enter; waits until the page shows the reply stored.</summary>
    private async Task<PageSend> PageSendAsync(IPage page, HttpClient gateway, int round, string kind, bool newChat, CancellationToken cancellationToken, int? maxTokens = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (newChat)
        {
            if (page.Url.Contains("/c/", StringComparison.Ordinal))
            {
                await page.ClickAsync("#new-chat-button").ConfigureAwait(false);
                // The page changes its address in place (history.pushState, no load event): wait for what a person sees.
                await page.WaitForFunctionAsync("() => !location.pathname.includes('/c/') && document.querySelector('.chat-empty') !== null",
                    null, new() { Timeout = TimeoutMs, PollingInterval = 20 }).ConfigureAwait(false);
            }

            if ((maxTokens ?? workload.MaxTokens) is { } max)
            {
                await SetMaxTokensAsync(page, max).ConfigureAwait(false);
            }
        }

        var id = $"{kind}-{round}-{Guid.NewGuid():N}";
        await page.ClickAsync("#chat-input").ConfigureAwait(false);
        await page.Keyboard.TypeAsync(workload.Prompt).ConfigureAwait(false);
        await page.EvaluateAsync("id => window.__opeaBench.arm(id)", id).ConfigureAwait(false);
        await page.Keyboard.PressAsync("Enter").ConfigureAwait(false);
        var send = await WaitForSendAsync(page, id).ConfigureAwait(false);

        var conversation = ConversationIdOf(page.Url);
        int? tokens = null;
        double? storedRate = null;
        if (conversation is { } conversationId)
        {
            var messages = await MessagesAsync(gateway, conversationId, cancellationToken).ConfigureAwait(false);
            var reply = messages.LastOrDefault(message => message.Role == "assistant");
            (tokens, storedRate) = (reply?.CompletionTokens, reply?.TokensPerSecond);
        }

        var enter = send.GetProperty("enter").GetDouble();
        _lastWindow = (enter, send.GetProperty("send_enabled").GetDouble());
        var frames = Frames(send);
        var characters = send.GetProperty("characters").GetInt32();
        var (charactersPerSecond, tokensPerSecond) = PaintedRates(frames, characters, tokens);
        var ms = (string name) => Math.Round(send.GetProperty(name).GetDouble() - enter, 2);
        return new PageSend(
            round, kind, conversation, ms("first_text"), ms("first_paint"), ms("first_paint_after"), ms("first_paint_next_frame"),
            frames.Count > 0 ? Math.Round(frames[^1].Time - enter, 2) : double.NaN, ms("stored"), ms("send_enabled"), characters, tokens,
            charactersPerSecond, tokensPerSecond, storedRate, frames.Count,
            frames.Count > 1 ? Math.Round(frames.Zip(frames.Skip(1), (a, b) => b.Time - a.Time).Max(), 1) : null,
            await LongTasksAsync(page, enter, send.GetProperty("send_enabled").GetDouble()).ConfigureAwait(false));
    }

    /// <summary>The new chat's max tokens, set in the chat settings panel as a person would (saved with the chat when it is created).</summary>
    private async Task SetMaxTokensAsync(IPage page, int maxTokens)
    {
        await page.ClickAsync("#settings-button").ConfigureAwait(false);
        await page.FillAsync("#settings-max-tokens", maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        await page.ClickAsync("#settings-save").ConfigureAwait(false);
        await page.WaitForFunctionAsync("() => (document.getElementById('settings-status')?.textContent ?? '').trim().length > 0",
            null, new() { Timeout = TimeoutMs }).ConfigureAwait(false);
        await page.ClickAsync("#settings-close").ConfigureAwait(false);
        await page.WaitForSelectorAsync("#settings-panel", new() { State = WaitForSelectorState.Detached, Timeout = TimeoutMs }).ConfigureAwait(false);
    }

    private async Task<JsonElement> WaitForSendAsync(IPage page, string id)
    {
        await page.WaitForFunctionAsync("id => window.__opeaBench.sends[id]?.done === true", id, new() { Timeout = TimeoutMs, PollingInterval = 50 }).ConfigureAwait(false);
        return await page.EvaluateAsync<JsonElement>("id => window.__opeaBench.sends[id]", id).ConfigureAwait(false);
    }

    private static List<(double Time, int Characters)> Frames(JsonElement send) =>
        [.. send.GetProperty("frames").EnumerateArray().Select(frame => (frame[0].GetDouble(), frame[1].GetInt32()))];

    /// <summary>
    /// Characters painted per second from the first painted frame to the last growth, and the same in tokens: the
    /// reply's own characters per token (from its completion_tokens) converts them; null with a single painted frame.
    /// </summary>
    private (double? Characters, double? Tokens) PaintedRates(List<(double Time, int Characters)> frames, int characters, int? tokens)
    {
        if (frames.Count < 2 || characters == 0)
        {
            return (null, null);
        }

        var seconds = (frames[^1].Time - frames[0].Time) / 1000;
        if (seconds <= 0)
        {
            return (null, null);
        }

        var perSecond = (frames[^1].Characters - frames[0].Characters) / seconds;
        var charactersPerToken = tokens is > 0 ? (double)characters / tokens.Value : workload.AverageCharactersPerToken;
        return (Math.Round(perSecond, 1), Math.Round(perSecond / charactersPerToken, 1));
    }

    /// <summary>The long animation frames of the page's last measured send (Enter to Send enabled), times from its Enter.</summary>
    private async Task<IReadOnlyList<LongFrame>> LongFramesAsync(IPage page, PageSend send)
    {
        var window = _lastWindow;
        var frames = await page.EvaluateAsync<JsonElement>("([from, to]) => window.__opeaBench.longFramesBetween(from, to)", new[] { window.From, window.To }).ConfigureAwait(false);
        return [.. frames.EnumerateArray().Select(frame => new LongFrame(
            Math.Round(frame.GetProperty("start").GetDouble() - window.From, 1), Math.Round(frame.GetProperty("duration").GetDouble(), 1),
            Math.Round(frame.GetProperty("blocking").GetDouble(), 1), Math.Round(frame.GetProperty("render").GetDouble(), 1),
            Math.Round(frame.GetProperty("style_layout").GetDouble(), 1),
            [.. frame.GetProperty("scripts").EnumerateArray().Select(script => new FrameScript(
                script.GetProperty("invoker").GetString() ?? string.Empty, script.GetProperty("source").GetString() ?? string.Empty,
                Math.Round(script.GetProperty("duration").GetDouble(), 1), Math.Round(script.GetProperty("forced_style_layout").GetDouble(), 1)))]))];
    }

    private static async Task<IReadOnlyList<LongTask>> LongTasksAsync(IPage page, double from, double to)
    {
        var tasks = await page.EvaluateAsync<JsonElement>("([from, to]) => window.__opeaBench.longTasksBetween(from, to)", new[] { from, to }).ConfigureAwait(false);
        return [.. tasks.EnumerateArray().Select(task => new LongTask(Math.Round(task.GetProperty("start").GetDouble() - from, 1), Math.Round(task.GetProperty("duration").GetDouble(), 1)))];
    }

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? Math.Round(value.GetDouble(), 2) : null;

    private static Guid? ConversationIdOf(string url)
    {
        var index = url.LastIndexOf("/c/", StringComparison.Ordinal);
        return index >= 0 && Guid.TryParse(url.AsSpan(index + 3, Math.Min(36, url.Length - index - 3)), out var id) ? id : null;
    }

    private OpeaChatRequest ChatQnARequest(bool stream, int? maxTokens) => new()
    {
        Messages = new OpeaMessages([new OpeaMessage("user", workload.Prompt)], WasPlainString: false),
        Stream = stream,
        MaxTokens = maxTokens,
    };

    /// <summary>The prompt through OPEA's /v1/chatqna, streamed: TTFT at the first text event, one event a token.</summary>
    private async Task<GatewaySend> StreamChatQnAAsync(HttpClient gateway, int round, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chatqna")
            {
                Content = JsonContent.Create(ChatQnARequest(stream: true, workload.MaxTokens), OpeaJsonContext.Default.OpeaChatRequest),
            };
            using var response = await gateway.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return Failed(round, BrowserKinds.GatewayChatQnA, start, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            long? first = null;
            long last = 0;
            var events = 0;
            await foreach (var literal in ChatQnAStream.ReadLiteralsAsync(body, cancellationToken).ConfigureAwait(false))
            {
                if (literal.Length > 3) // b'' carries nothing
                {
                    last = Stopwatch.GetTimestamp();
                    first ??= last;
                    events++;
                }
            }

            return Sample(round, BrowserKinds.GatewayChatQnA, start, first, last, Stopwatch.GetTimestamp(), events, "events", storedAt: null);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or ChatQnAStreamException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Failed(round, BrowserKinds.GatewayChatQnA, start, exception.Message);
        }
    }

    /// <summary>
    /// What the page asks of the gateway, without the page: a new conversation (created, then its first message), or
    /// the next message of <paramref name="conversation"/>; through the OpenAI door with stored history, as the page does.
    /// </summary>
    private async Task<(GatewaySend Send, Guid? Conversation)> GatewayConversationAsync(HttpClient gateway, int round, Guid? conversation, CancellationToken cancellationToken, int? maxTokens = null)
    {
        var kind = conversation is null ? BrowserKinds.GatewayConversationNew : BrowserKinds.GatewayConversationContinue;
        var start = Stopwatch.GetTimestamp();
        try
        {
            var id = conversation ?? await CreateConversationAsync(gateway, maxTokens ?? workload.MaxTokens, cancellationToken).ConfigureAwait(false);
            var body = new ChatCompletionRequest
            {
                ConversationId = id,
                Messages = [ChatMessage.Create("user", workload.Prompt)],
                Stream = true,
                StreamOptions = new StreamOptions { IncludeUsage = true },
                ContinueOnDisconnect = true,
            };
            var read = await StreamConversationAsync(gateway, body, cancellationToken).ConfigureAwait(false);
            if (read.Error is { } error)
            {
                return (Failed(round, kind, start, error), id);
            }

            var stored = await WaitStoredAsync(gateway, id, cancellationToken).ConfigureAwait(false);
            return (Sample(round, kind, start, read.First, read.Last, read.End, read.Tokens, "completion_tokens", stored), id);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (Failed(round, kind, start, exception.Message), conversation);
        }
    }

    private sealed record StreamRead(long? First, long Last, long End, int Tokens, string? Error);

    private static async Task<StreamRead> StreamConversationAsync(HttpClient gateway, ChatCompletionRequest body, CancellationToken cancellationToken, TaskCompletionSource? firstChunk = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(body, OpenAiJsonContext.Default.ChatCompletionRequest),
        };
        using var response = await gateway.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var failure = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}";
            firstChunk?.TrySetException(new InvalidOperationException(failure));
            return new StreamRead(null, 0, Stopwatch.GetTimestamp(), 0, failure);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        long? first = null;
        long last = 0;
        var pieces = 0;
        Usage? usage = null;
        try
        {
            await foreach (var chunk in ChatCompletionStream.ReadAsync(stream, TolerantOpenAiJson.TypeInfo<ChatCompletionChunk>(), cancellationToken).ConfigureAwait(false))
            {
                usage = chunk.Usage ?? usage;
                if (chunk.Choices?.Any(choice => !string.IsNullOrEmpty(choice.Delta?.Content)) == true)
                {
                    last = Stopwatch.GetTimestamp();
                    first ??= last;
                    pieces++;
                    firstChunk?.TrySetResult();
                }
            }
        }
        catch (ChatCompletionStreamException exception)
        {
            firstChunk?.TrySetException(exception);
            return new StreamRead(first, last, Stopwatch.GetTimestamp(), pieces, exception.Message);
        }

        firstChunk?.TrySetResult();
        return new StreamRead(first, last, Stopwatch.GetTimestamp(), usage?.CompletionTokens ?? pieces, null);
    }

    private static async Task<Guid> CreateConversationAsync(HttpClient gateway, int? maxTokens, CancellationToken cancellationToken)
    {
        using var response = await gateway.PostAsJsonAsync("v1/conversations", new ConversationUpdate { MaxTokens = maxTokens },
            ConversationsJsonContext.Default.ConversationUpdate, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The gateway refused to create a conversation: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }

        var created = await response.Content.ReadFromJsonAsync(ConversationsJsonContext.Default.ConversationRecord, cancellationToken).ConfigureAwait(false);
        return created?.Id ?? throw new InvalidOperationException("The gateway created a conversation without an id.");
    }

    private static async Task<IReadOnlyList<BranchMessage>> MessagesAsync(HttpClient gateway, Guid conversation, CancellationToken cancellationToken)
    {
        var list = await gateway.GetFromJsonAsync($"v1/conversations/{conversation}/messages", ConversationsJsonContext.Default.MessageList, cancellationToken).ConfigureAwait(false);
        return list?.Data ?? [];
    }

    /// <summary>When the conversation's last reply is stored and no longer streaming (polled every 5 ms; nothing else runs then).</summary>
    private async Task<long?> WaitStoredAsync(HttpClient gateway, Guid conversation, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(workload.TimeoutSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var messages = await MessagesAsync(gateway, conversation, cancellationToken).ConfigureAwait(false);
            if (messages.Count > 0 && messages[^1] is { Role: "assistant" } last && last.Status != "streaming")
            {
                return Stopwatch.GetTimestamp();
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private static GatewaySend Sample(int round, string kind, long start, long? first, long last, long end, int tokens, string source, long? storedAt)
    {
        var ms = (long at) => Math.Round(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds, 2);
        if (first is not { } firstAt)
        {
            return new GatewaySend(round, kind, double.NaN, double.NaN, ms(end), tokens, source, null, storedAt is { } s ? ms(s) : null, "no text in the reply");
        }

        var decode = Stopwatch.GetElapsedTime(firstAt, last).TotalSeconds;
        double? rate = tokens > 1 && decode > 0 ? Math.Round((tokens - 1) / decode, 1) : null;
        return new GatewaySend(round, kind, ms(firstAt), ms(last), ms(end), tokens, source, rate, storedAt is { } stored ? ms(stored) : null, null);
    }

    private static GatewaySend Failed(int round, string kind, long start, string error) =>
        new(round, kind, double.NaN, double.NaN, Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 2), 0, "none", null, null, error);

    /// <summary>
    /// The long-task check: a new chat whose max tokens (set in the settings panel) is the long length, typed and sent
    /// like the others; the test model seldom ends a reply by itself, so it runs to that length (the tokens reached are
    /// reported). Then the same request straight to the gateway (a new conversation of that max tokens) for its rate.
    /// </summary>
    private async Task<LongReplyResult> LongReplyAsync(IPage page, HttpClient gateway, CancellationToken cancellationToken)
    {
        const string Method = "a new chat sent from the page with max tokens set in its settings panel (the page cannot ask for ignore_eos), "
            + "then a new conversation of the same max tokens straight to the gateway";
        var send = await PageSendAsync(page, gateway, round: 0, "long_reply", newChat: true, cancellationToken, workload.LongReplyTokens).ConfigureAwait(false);
        var frames = await LongFramesAsync(page, send).ConfigureAwait(false);
        var (direct, _) = await GatewayConversationAsync(gateway, round: 0, conversation: null, cancellationToken, workload.LongReplyTokens).ConfigureAwait(false);
        return new LongReplyResult(
            Method, workload.LongReplyTokens, send.CompletionTokens, send.Characters, send.FirstPaintMs, send.StoredMs,
            send.PaintedCharactersPerSecond, send.PaintedTokensPerSecond, direct.Tokens, direct.TokensPerSecond, direct.TtftMs,
            send.PaintedFrames, send.LongestFrameGapMs, send.LongTasks, frames, direct.Error);
    }

    private static List<BrowserKindSummary> Summarize(IReadOnlyList<PageSend> pageSends, IReadOnlyList<GatewaySend> gatewaySends)
    {
        var summaries = new List<BrowserKindSummary>();
        foreach (var (kind, sends) in new[]
        {
            (BrowserKinds.PageNewChat, pageSends.Where(send => send.Kind == BrowserKinds.PageNewChat).ToList()),
            (BrowserKinds.PageContinueChat, pageSends.Where(send => send.Kind == BrowserKinds.PageContinueChat).ToList()),
            (BrowserKinds.Page, pageSends.ToList()),
        })
        {
            var tasks = sends.SelectMany(send => send.LongTasks).ToList();
            summaries.Add(new BrowserKindSummary(
                kind, sends.Count, Stat.Of(sends.Select(send => (double?)send.FirstPaintMs)), Stat.Of(sends.Select(send => (double?)send.FirstTextMs)),
                Stat.Of(sends.Select(send => (double?)send.StoredMs)), Stat.Of(sends.Select(send => send.PaintedTokensPerSecond)),
                Stat.Of(sends.Select(send => send.PaintedCharactersPerSecond)), Stat.Of(sends.Select(send => (double?)send.CompletionTokens)),
                tasks.Count, tasks.Count == 0 ? 0 : tasks.Max(task => task.DurationMs), 0)
            {
                PaintedOverSameReply = Stat.Of(sends.Select(send => send.PaintedOverStoredRatio)),
            });
        }

        foreach (var kind in new[] { BrowserKinds.GatewayChatQnA, BrowserKinds.GatewayConversationNew, BrowserKinds.GatewayConversationContinue })
        {
            var all = gatewaySends.Where(send => send.Kind == kind).ToList();
            var sends = all.Where(send => send.Error is null).ToList();
            summaries.Add(new BrowserKindSummary(
                kind, sends.Count, Stat.Of(sends.Select(send => (double?)send.TtftMs)), null, Stat.Of(sends.Select(send => send.StoredMs)),
                Stat.Of(sends.Select(send => send.TokensPerSecond)), null, Stat.Of(sends.Select(send => (double?)send.Tokens)), 0, 0, all.Count - sends.Count));
        }

        return summaries;
    }

    private static List<BrowserComparison> Compare(IReadOnlyList<BrowserKindSummary> summaries)
    {
        var byKind = summaries.ToDictionary(summary => summary.Kind, StringComparer.Ordinal);
        var pairs = new[]
        {
            (BrowserKinds.Page, BrowserKinds.GatewayChatQnA),
            (BrowserKinds.PageNewChat, BrowserKinds.GatewayChatQnA),
            (BrowserKinds.PageContinueChat, BrowserKinds.GatewayChatQnA),
            (BrowserKinds.PageNewChat, BrowserKinds.GatewayConversationNew),
            (BrowserKinds.PageContinueChat, BrowserKinds.GatewayConversationContinue),
        };
        var comparisons = new List<BrowserComparison>();
        foreach (var (pageKind, gatewayKind) in pairs)
        {
            var page = byKind[pageKind];
            var gateway = byKind[gatewayKind];
            double? delta50 = page.FirstTokenMs is { } p && gateway.FirstTokenMs is { } g ? Math.Round(p.P50 - g.P50, 2) : null;
            double? delta90 = page.FirstTokenMs is { } p9 && gateway.FirstTokenMs is { } g9 ? Math.Round(p9.P90 - g9.P90, 2) : null;
            double? ratio = page.FirstTokenMs is { } pr && gateway.FirstTokenMs is { P50: > 0 } gr ? Math.Round(pr.P50 / gr.P50, 2) : null;
            double? rate = page.TokensPerSecond is { } pt && gateway.TokensPerSecond is { P50: > 0 } gt ? Math.Round(pt.P50 / gt.P50, 3) : null;
            double? stored = page.StoredMs is { } ps && gateway.StoredMs is { } gs ? Math.Round(ps.P50 - gs.P50, 2) : null;
            comparisons.Add(new BrowserComparison(pageKind, gatewayKind, delta50, delta90, ratio, rate, page.PaintedOverSameReply?.P50, stored,
                delta50 is { } d ? d <= Goals.FirstPaintOverTtftMs : null, rate is { } r ? r >= Goals.TokensPerSecondRatio : null));
        }

        return comparisons;
    }

    private static string LoadProbe()
    {
        using var stream = typeof(BrowserBenchmark).Assembly.GetManifestResourceStream("OpeaChat.Benchmarks.Browser.page-probe.js")
            ?? throw new InvalidOperationException("The page probe is not embedded in the benchmark.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
