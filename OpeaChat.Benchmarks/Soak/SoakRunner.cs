using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace OpeaChat.Benchmarks.Soak;

/// <summary>What a soak does: how many users, for how long, and how often one of them writes a conversation.</summary>
public sealed record SoakPlan(Uri Gateway, int Users, TimeSpan Duration, int MaxTokens, int WriteEvery, TimeSpan SampleEvery, IReadOnlyList<string> Services);

/// <summary>One RSS reading of each service, in MiB, at a moment of the run.</summary>
public sealed record RssSample(TimeSpan At, IReadOnlyDictionary<string, double> MiB);

public sealed record SoakResult(
    SoakPlan Plan, long Requests, long Ok, long TooMany, long ServerErrors, long ClientErrors, long StreamErrors, long TransportErrors,
    long ConversationWrites, IReadOnlyDictionary<int, long> StatusCounts, IReadOnlyList<RssSample> Rss, IReadOnlyList<string> FirstFailures);

/// <summary>
/// Closed-loop streaming users against the gateway's <c>/v1/chatqna</c> for a fixed time; every
/// <see cref="SoakPlan.WriteEvery"/>-th request of a user goes into a conversation it created (then deletes), so
/// the database is written while replies stream. The services' RSS is read from /proc while it runs.
/// </summary>
public static class SoakRunner
{
    public static async Task<SoakResult> RunAsync(SoakPlan plan, Action<string> progress, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = plan.Users * 2, ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = plan.Gateway,
            Timeout = TimeSpan.FromMinutes(5),
        };
        var counters = new Counters();
        var clock = Stopwatch.StartNew();
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        run.CancelAfter(plan.Duration);
        var rss = new List<RssSample>();
        var sampler = SampleAsync(plan, clock, rss, progress, counters, run.Token);
        var users = Enumerable.Range(0, plan.Users).Select(user => UserAsync(http, plan, user, counters, run.Token)).ToArray();
        await Task.WhenAll(users);
        await sampler;
        rss.Add(new RssSample(clock.Elapsed, ReadRss(plan.Services)));
        return new SoakResult(plan, counters.Requests, counters.Ok, counters.TooMany, counters.ServerErrors, counters.ClientErrors, counters.StreamErrors,
            counters.TransportErrors, counters.Writes, counters.Statuses.ToDictionary(), rss, [.. counters.Failures]);
    }

    private static async Task UserAsync(HttpClient http, SoakPlan plan, int user, Counters counters, CancellationToken cancellationToken)
    {
        for (var turn = 0; !cancellationToken.IsCancellationRequested; turn++)
        {
            try
            {
                if (plan.WriteEvery > 0 && turn % plan.WriteEvery == plan.WriteEvery - 1)
                {
                    await ConversationTurnAsync(http, plan, user, counters, cancellationToken);
                }
                else
                {
                    await ChatAsync(http, plan, conversation: null, counters, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return; // The run is over; a request cut by its end is not counted.
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or TaskCanceledException)
            {
                Interlocked.Increment(ref counters.TransportErrors);
                counters.Note($"user {user}: {exception.GetType().Name}: {exception.Message}");
            }
        }
    }

    private static async Task ConversationTurnAsync(HttpClient http, SoakPlan plan, int user, Counters counters, CancellationToken cancellationToken)
    {
        using var created = await http.PostAsync(new Uri("v1/conversations", UriKind.Relative),
            Json($$"""{"title":"soak user {{user}}"}"""), cancellationToken);
        counters.Count(created.StatusCode, await created.Content.ReadAsStringAsync(cancellationToken));
        if (!created.IsSuccessStatusCode)
        {
            return;
        }

        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync(cancellationToken));
        var id = body.RootElement.GetProperty("id").GetString()!;
        Interlocked.Increment(ref counters.Writes);
        await ChatAsync(http, plan, id, counters, cancellationToken);
        using var deleted = await http.DeleteAsync(new Uri($"v1/conversations/{id}", UriKind.Relative), cancellationToken);
        counters.Count(deleted.StatusCode, deleted.IsSuccessStatusCode ? string.Empty : await deleted.Content.ReadAsStringAsync(cancellationToken));
    }

    private static async Task ChatAsync(HttpClient http, SoakPlan plan, string? conversation, Counters counters, CancellationToken cancellationToken)
    {
        var conversationField = conversation is null ? string.Empty : $",\"conversation_id\":\"{conversation}\"";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chatqna")
        {
            Content = Json($$"""{"messages":"Once upon a time","max_tokens":{{plan.MaxTokens}},"ignore_eos":true{{conversationField}}}"""),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            counters.Count(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
            return;
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var done = false;
        var error = false;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            done |= line == "data: [DONE]";
            error |= line == "event: error";
        }

        counters.Count(response.StatusCode, string.Empty);
        if (error || !done)
        {
            Interlocked.Increment(ref counters.StreamErrors);
            counters.Note(error ? "a stream ended with an error event" : "a stream ended without [DONE]");
        }
    }

    private static async Task SampleAsync(SoakPlan plan, Stopwatch clock, List<RssSample> samples, Action<string> progress, Counters counters, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var sample = new RssSample(clock.Elapsed, ReadRss(plan.Services));
                samples.Add(sample);
                progress($"{sample.At:mm\\:ss} requests {Interlocked.Read(ref counters.Requests)}, 5xx {Interlocked.Read(ref counters.ServerErrors)}, " +
                    $"429 {Interlocked.Read(ref counters.TooMany)}, RSS {string.Join(", ", sample.MiB.Select(pair => $"{pair.Key} {pair.Value:0} MiB"))}");
                await Task.Delay(plan.SampleEvery, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    /// <summary>The resident memory of the first process whose command line names each service (Linux /proc).</summary>
    public static IReadOnlyDictionary<string, double> ReadRss(IReadOnlyList<string> services)
    {
        var found = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!Directory.Exists("/proc"))
        {
            return found;
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                // The program is the first word (an app host) or the second (dotnet X.dll).
                var words = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0').Take(2).ToArray();
                var service = services.FirstOrDefault(name => !found.ContainsKey(name)
                    && words.Any(word => word.EndsWith(name, StringComparison.Ordinal) || word.EndsWith(name + ".dll", StringComparison.Ordinal)));
                if (service is null)
                {
                    continue;
                }

                var rss = File.ReadLines(Path.Combine(directory, "status")).FirstOrDefault(line => line.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (rss is not null && double.TryParse(rss["VmRSS:".Length..].Trim().Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kib))
                {
                    found[service] = kib / 1024;
                }
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return found;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed class Counters
    {
        public long Requests;
        public long Ok;
        public long TooMany;
        public long ServerErrors;
        public long ClientErrors;
        public long StreamErrors;
        public long TransportErrors;
        public long Writes;
        public readonly ConcurrentDictionary<int, long> Statuses = new();
        public readonly ConcurrentQueue<string> Failures = new();

        public void Count(HttpStatusCode status, string body)
        {
            Interlocked.Increment(ref Requests);
            Statuses.AddOrUpdate((int)status, 1, (_, count) => count + 1);
            switch ((int)status)
            {
                case < 300:
                    Interlocked.Increment(ref Ok);
                    break;
                case 429:
                    Interlocked.Increment(ref TooMany);
                    break;
                case >= 500:
                    Interlocked.Increment(ref ServerErrors);
                    Note($"{(int)status}: {body}");
                    break;
                default:
                    Interlocked.Increment(ref ClientErrors);
                    Note($"{(int)status}: {body}");
                    break;
            }
        }

        public void Note(string failure)
        {
            // The first few are enough to see what went wrong.
            if (Failures.Count < 10)
            {
                Failures.Enqueue(failure.Length > 300 ? failure[..300] : failure);
            }
        }
    }
}
