using System.Net.Http.Json;
using System.Text.Json;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>Small helpers for calling an OpenAI-style endpoint in tests and reading what came back.</summary>
public static class OpenAiCalls
{
    public sealed record Completion(int Status, string Text, string? FinishReason, int PromptTokens, int CompletionTokens, int CachedTokens, JsonElement Body);

    public static object User(string text) => new[] { new { role = "user", content = text } };

    public static async Task<Completion> ChatAsync(HttpClient client, object body, CancellationToken cancellationToken = default)
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", body, cancellationToken);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
        if (!response.IsSuccessStatusCode)
        {
            return new Completion((int)response.StatusCode, string.Empty, null, 0, 0, 0, json);
        }

        var choice = json.GetProperty("choices")[0];
        var usage = json.GetProperty("usage");
        return new Completion(200, choice.GetProperty("message").GetProperty("content").GetString()!, choice.GetProperty("finish_reason").GetString(),
            usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32(), json);
    }

    /// <summary>Reads a whole OpenAI stream: the text, the finish reason and the usage chunk.</summary>
    public static async Task<Completion> ChatStreamAsync(HttpClient client, object body, CancellationToken cancellationToken = default)
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", body, cancellationToken);
        response.EnsureSuccessStatusCode();
        var lines = await OpeaStream.ReadDataLinesAsync(response);
        if (lines[^1] != "[DONE]")
        {
            throw new InvalidOperationException("The stream did not end with [DONE].");
        }

        var text = new System.Text.StringBuilder();
        string? finish = null;
        JsonElement usage = default;
        foreach (var line in lines.SkipLast(1))
        {
            var chunk = JsonDocument.Parse(line).RootElement.Clone();
            if (chunk.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
            {
                usage = u;
            }

            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("content", out var content))
                {
                    text.Append(content.GetString());
                }

                if (choice.GetProperty("finish_reason").GetString() is { } reason)
                {
                    finish = reason;
                }
            }
        }

        return new Completion(200, text.ToString(), finish, usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32(), usage);
    }

    /// <summary>The text a line of an OpenAI stream adds (empty for any other line: events, usage, [DONE], blanks).</summary>
    public static string DeltaText(string line)
    {
        if (!line.StartsWith("data: {", StringComparison.Ordinal))
        {
            return string.Empty;
        }

        var text = new System.Text.StringBuilder();
        using var chunk = JsonDocument.Parse(line["data: ".Length..]);
        if (chunk.RootElement.TryGetProperty("choices", out var choices))
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }
            }
        }

        return text.ToString();
    }

    public static async Task<JsonElement> GetModelAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync(new Uri($"/v1/models/{id}", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Polls (bounded) until a condition on a model's description holds.</summary>
    public static async Task<JsonElement> WaitForModelAsync(HttpClient client, string id, Func<JsonElement, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var model = await GetModelAsync(client, id);
            if (condition(model))
            {
                return model;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Model {id} did not reach the expected state within {timeout}: {model}");
            }

            await Task.Delay(50);
        }
    }
}
