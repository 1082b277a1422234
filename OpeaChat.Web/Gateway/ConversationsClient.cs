using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Prompts;
using OpeaChat.ServiceDefaults.ServerSentEvents;

namespace OpeaChat.Web.Gateway;

/// <summary>
/// Typed client for the gateway's conversations API and its chat with memory. Its <see cref="HttpClient"/> has no
/// timeout and no retries (a reply can stream for minutes); callers stop a reply with their token.
/// </summary>
public sealed class ConversationsClient
{
    private readonly HttpClient _http;

    public ConversationsClient(HttpClient http, Accounts.GatewayCaller? caller = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        // A typed client gets its own HttpClient instance, so these headers are this tab's and person's alone.
        caller?.Stamp(http.DefaultRequestHeaders);
    }

    private const string UnreachableMessage = "The chat service (ChatQnA gateway) cannot be reached. Check that it is running.";
    private static readonly MediaTypeWithQualityHeaderValue EventStream = new("text/event-stream");

    public async Task<IReadOnlyList<ConversationRecord>> ListAsync(string? query = null, CancellationToken cancellationToken = default)
    {
        var path = "v1/conversations?limit=200";
        if (!string.IsNullOrWhiteSpace(query))
        {
            path += "&q=" + Uri.EscapeDataString(query.Trim());
        }

        var page = await GetJsonAsync(path, ConversationsJsonContext.Default.ConversationPage, cancellationToken).ConfigureAwait(false);
        return page.Data;
    }

    public Task<ConversationRecord> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        GetJsonAsync($"v1/conversations/{id}", ConversationsJsonContext.Default.ConversationRecord, cancellationToken);

    /// <summary>Creates a conversation with the settings chosen before its first message (and the picked model).</summary>
    public Task<ConversationRecord> CreateAsync(ConversationUpdate settings, CancellationToken cancellationToken = default) =>
        SendJsonAsync(HttpMethod.Post, "v1/conversations", settings, ConversationsJsonContext.Default.ConversationUpdate,
            ConversationsJsonContext.Default.ConversationRecord, cancellationToken);

    /// <summary>Saves the settings panel: every setting is sent, so a cleared one is cleared on the gateway too.</summary>
    public Task<ConversationRecord> UpdateSettingsAsync(Guid id, ConversationUpdate settings, CancellationToken cancellationToken = default) =>
        SendJsonAsync(HttpMethod.Patch, $"v1/conversations/{id}", settings, ConversationsJsonContext.Default.ConversationUpdate,
            ConversationsJsonContext.Default.ConversationRecord, cancellationToken);

    public async Task<IReadOnlyList<PromptRecord>> GetPromptsAsync(CancellationToken cancellationToken = default)
    {
        var page = await GetJsonAsync("v1/prompts", PromptsJsonContext.Default.PromptList, cancellationToken).ConfigureAwait(false);
        return page.Data;
    }

    public Task<ConversationRecord> RenameAsync(Guid id, string title, CancellationToken cancellationToken = default) =>
        SendJsonAsync(HttpMethod.Patch, $"v1/conversations/{id}", new Dictionary<string, string> { ["title"] = title.Trim() },
            ConversationsJsonContext.Default.DictionaryStringString, ConversationsJsonContext.Default.ConversationRecord, cancellationToken);

    public Task<ConversationRecord> SetModelAsync(Guid id, string model, CancellationToken cancellationToken = default) =>
        SendJsonAsync(HttpMethod.Patch, $"v1/conversations/{id}", new Dictionary<string, string> { ["model"] = model },
            ConversationsJsonContext.Default.DictionaryStringString, ConversationsJsonContext.Default.ConversationRecord, cancellationToken);

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"v1/conversations/{id}");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<BranchMessage>> GetMessagesAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var page = await GetJsonAsync($"v1/conversations/{id}/messages", ConversationsJsonContext.Default.MessageList, cancellationToken).ConfigureAwait(false);
        return page.Data;
    }

    /// <summary>Edits a user message: the gateway adds a new sibling with the new text (a new branch) and returns it.</summary>
    public Task<BranchMessage> EditMessageAsync(Guid id, Guid messageId, string content, CancellationToken cancellationToken = default) =>
        SendJsonAsync(HttpMethod.Patch, $"v1/conversations/{id}/messages/{messageId}", new EditMessageRequest(content),
            ConversationsJsonContext.Default.EditMessageRequest, ConversationsJsonContext.Default.BranchMessage, cancellationToken);

    /// <summary>Switches the active branch to the one through <paramref name="messageId"/>; answers that branch.</summary>
    public async Task<IReadOnlyList<BranchMessage>> ActivateAsync(Guid id, Guid messageId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/conversations/{id}/messages/{messageId}/activate");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        var page = await response.Content.ReadFromJsonAsync(ConversationsJsonContext.Default.MessageList, cancellationToken).ConfigureAwait(false);
        return page!.Data;
    }

    public async Task<IReadOnlyList<ModelInfo>> GetModelsAsync(CancellationToken cancellationToken = default)
    {
        var page = await GetJsonAsync("v1/models", OpenAiJsonContext.Default.ModelList, cancellationToken).ConfigureAwait(false);
        return page.Data;
    }

    /// <summary>Sends <paramref name="text"/> as the next user message of the stored conversation and streams the reply.</summary>
    public IAsyncEnumerable<ReplyPiece> StreamChatAsync(Guid conversationId, string text, string? model = null, CancellationToken cancellationToken = default)
    {
        // The gateway's memory: only the new user message goes; the history comes from the stored conversation.
        var body = new ChatCompletionRequest
        {
            ConversationId = conversationId,
            Messages = [ChatMessage.Create("user", text)],
            Stream = true,
            StreamOptions = new StreamOptions { IncludeUsage = true },
            Model = model,
            // The gateway owns the reply: a person who reloads or leaves the page does not stop it (only Stop does).
            ContinueOnDisconnect = true,
        };
        return StreamAsync("v1/chat/completions", JsonSerializer.SerializeToUtf8Bytes(body, OpenAiJsonContext.Default.ChatCompletionRequest), cancellationToken);
    }

    /// <summary>Regenerates an assistant message (a new sibling) or answers the user message that ends the active branch.</summary>
    public IAsyncEnumerable<ReplyPiece> StreamRegenerateAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken = default) =>
        StreamAsync($"v1/conversations/{conversationId}/messages/{messageId}/regenerate",
            JsonSerializer.SerializeToUtf8Bytes(new ChatCompletionRequest { Stream = true, ContinueOnDisconnect = true }, OpenAiJsonContext.Default.ChatCompletionRequest), cancellationToken);

    /// <summary>
    /// Follows a reply the gateway is generating (started here before a reload, or in another tab): its text so far,
    /// then the rest. Nothing when it is no longer running (it ended meanwhile): the stored message is the answer.
    /// </summary>
    public async IAsyncEnumerable<ReplyPiece> FollowReplyAsync(Guid conversationId, Guid replyId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/conversations/{conversationId}/messages/{replyId}/stream");
        request.Headers.Accept.Add(EventStream);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            yield break;
        }

        await foreach (var piece in ReadPiecesAsync(response, cancellationToken).ConfigureAwait(false))
        {
            yield return piece;
        }
    }

    /// <summary>Stops a reply the gateway is generating; it is saved as stopped when this returns. One that already ended is left as it is.</summary>
    public async Task StopReplyAsync(Guid conversationId, Guid replyId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/conversations/{conversationId}/messages/{replyId}/stop");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.Conflict)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The gateway's export download, for the web app's proxy endpoint. The caller disposes the response.</summary>
    public async Task<HttpResponseMessage> ExportAsync(Guid id, string format, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/conversations/{id}/export?format={Uri.EscapeDataString(format)}");
        return await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ConversationRecord> ImportAsync(Stream json, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/conversations/import")
        {
            Content = new StreamContent(json) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return (await response.Content.ReadFromJsonAsync(ConversationsJsonContext.Default.ConversationRecord, cancellationToken).ConfigureAwait(false))!;
    }

    private async IAsyncEnumerable<ReplyPiece> StreamAsync(string path, byte[] body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.Accept.Add(EventStream);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode && response.Headers.TryGetValues(ConversationHeaders.ReplyId, out var ids) && Guid.TryParse(ids.FirstOrDefault(), out var replyId))
        {
            yield return new ReplyPiece(null) { ReplyId = replyId };
        }

        await foreach (var piece in ReadPiecesAsync(response, cancellationToken).ConfigureAwait(false))
        {
            yield return piece;
        }
    }

    private static async IAsyncEnumerable<ReplyPiece> ReadPiecesAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await foreach (var piece in OpenAiStreamReader.ReadPiecesAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                yield return piece;
            }
        }
    }

    private async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return (await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<TResult> SendJsonAsync<TBody, TResult>(HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, bodyType))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } },
            },
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return (await response.Content.ReadFromJsonAsync(resultType, cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new ChatQnAException(ChatQnAFailure.Unreachable, UnreachableMessage, innerException: exception);
        }
    }

    internal static async Task<ChatQnAException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = null;
        }

        var status = response.StatusCode;
        var message = GatewayErrorMessage.Read(body) ?? $"The chat service answered {(int)status}.";
        var retryAfter = response.Headers.RetryAfter?.Delta;
        if (retryAfter is { } delay && !message.Contains("retry after", StringComparison.OrdinalIgnoreCase)
            && !message.Contains("try again", StringComparison.OrdinalIgnoreCase))
        {
            message += string.Create(CultureInfo.InvariantCulture, $" Try again in {Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds))} s.");
        }

        var failure = status switch
        {
            HttpStatusCode.TooManyRequests => ChatQnAFailure.RateLimited,
            HttpStatusCode.Unauthorized when EndsSession(response, body) => ChatQnAFailure.SessionEnded,
            HttpStatusCode.ServiceUnavailable when GatewayErrorMessage.ReadCode(body) == "model_loading" => ChatQnAFailure.Loading,
            HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout => ChatQnAFailure.Unavailable,
            >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError => ChatQnAFailure.Rejected,
            _ => ChatQnAFailure.HttpError,
        };
        return new ChatQnAException(failure, message, status, retryAfter: retryAfter);
    }

    /// <summary>
    /// Whether the gateway refused the person this web named (a locked, deleted or unapproved account, or a session from
    /// before a password change), rather than the request or the web's own key (<c>invalid_api_key</c>). The code is in
    /// OpenAI's error shape where the path answers in it, else in the <see cref="ForwardedHeaders.Refusal"/> header.
    /// </summary>
    internal static bool EndsSession(HttpResponseMessage response, string? body)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return false;
        }

        var code = GatewayErrorMessage.ReadCode(body)
            ?? (response.Headers.TryGetValues(ForwardedHeaders.Refusal, out var values) ? values.FirstOrDefault() : null);
        return code is ForwardedHeaders.InvalidUser or ForwardedHeaders.PersonRequired;
    }
}
