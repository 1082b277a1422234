using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OpeaChat.Contracts.ModelPulls;

namespace OpeaChat.Web.Gateway;

/// <summary>
/// Typed client for the models the gateway passes through to inference: pull one from Hugging Face (its progress read
/// as NDJSON, one status a line), the pulls running, cancel one, delete a model, the recommended models. Its
/// <see cref="HttpClient"/> has no timeout (a pull takes minutes); callers stop reading with their token, which leaves
/// the pull itself running in inference.
/// </summary>
public sealed class ModelsClient(HttpClient http, Accounts.GatewayCaller? caller = null)
{
    private const string UnreachableMessage = "The chat service (ChatQnA gateway) cannot be reached. Check that it is running.";
    private static readonly MediaTypeWithQualityHeaderValue Ndjson = new("application/x-ndjson");

    public async Task<IReadOnlyList<RecommendedModel>> GetRecommendedAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models/recommended"), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        var list = await response.Content.ReadFromJsonAsync(ModelPullJsonContext.Default.RecommendedModelList, cancellationToken).ConfigureAwait(false);
        return list?.Data ?? [];
    }

    public async Task<IReadOnlyList<ModelPullStatus>> GetPullsAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/models/pulls"), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        var list = await response.Content.ReadFromJsonAsync(ModelPullJsonContext.Default.ModelPullList, cancellationToken).ConfigureAwait(false);
        return list?.Data ?? [];
    }

    /// <summary>
    /// Starts pulling <paramref name="model"/> and yields its progress until the last status (ready, failed, cancelled)
    /// or until the stream ends early (then the caller asks <see cref="GetPullsAsync"/>). A pull refused before it
    /// starts (unknown repository, bad name) throws <see cref="ChatQnAException"/> with the gateway's message.
    /// </summary>
    public async IAsyncEnumerable<ModelPullStatus> PullAsync(string model, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var body = JsonSerializer.SerializeToUtf8Bytes(new ModelPullRequest { Model = model.Trim() }, ModelPullJsonContext.Default.ModelPullRequest);
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/models/pull")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.Accept.Add(Ndjson);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream);
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is IOException or HttpRequestException)
                {
                    yield break; // The stream broke; the pull may go on (the caller asks the list).
                }

                if (line is null)
                {
                    yield break;
                }

                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                ModelPullStatus? status;
                try
                {
                    status = JsonSerializer.Deserialize(line, ModelPullJsonContext.Default.ModelPullStatus);
                }
                catch (JsonException exception)
                {
                    throw new ChatQnAException(ChatQnAFailure.InvalidReply, "The chat service sent a pull progress this page cannot read.", innerException: exception);
                }

                if (status is not null)
                {
                    yield return status;
                    if (ModelPullStages.IsFinal(status.Stage))
                    {
                        yield break;
                    }
                }
            }
        }
    }

    /// <summary>Cancels a running pull; one that already ended (404) is left as it is.</summary>
    public async Task CancelPullAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, "v1/models/pulls/" + Uri.EscapeDataString(id)),
            HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes a model's file. A model in use (loaded or the default) is refused with 409 unless <paramref name="force"/>:
    /// then this throws with <see cref="ChatQnAException.StatusCode"/> Conflict.
    /// </summary>
    public async Task DeleteModelAsync(string id, bool force, CancellationToken cancellationToken = default)
    {
        var path = "v1/models/" + Uri.EscapeDataString(id) + (force ? "?force=true" : string.Empty);
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, path), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ConversationsClient.ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using (request)
        {
            try
            {
                caller?.Stamp(request.Headers);
                return await http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException exception)
            {
                throw new ChatQnAException(ChatQnAFailure.Unreachable, UnreachableMessage, innerException: exception);
            }
        }
    }
}
