using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpeaChat.Contracts.Dataprep;

namespace OpeaChat.Web.Gateway;

/// <summary>A file to ingest: its name as the person picked it, its bytes and their media type.</summary>
public sealed record DataprepUpload(string Name, Stream Content, string? ContentType);

/// <summary>
/// Typed client for the gateway's dataprep API (OPEA's <c>/v1/dataprep/ingest</c>, <c>/get</c>, <c>/delete</c>). The
/// browser never talks to the gateway: uploads reach this app over the circuit and are posted from here.
/// </summary>
public sealed class DataprepClient(HttpClient http, Accounts.GatewayCaller? caller = null)
{
    private const string UnreachableMessage = "The chat service (ChatQnA gateway) cannot be reached. Check that it is running.";

    /// <summary>
    /// Posts files (the form field <c>files</c>, repeated) into <paramref name="indexName"/>: the person's own collection,
    /// or with <paramref name="shared"/> (admins) the one everyone reads.
    /// </summary>
    public Task<DataprepResult> IngestFilesAsync(IReadOnlyList<DataprepUpload> files, string? indexName, bool shared = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var form = new MultipartFormDataContent();
        foreach (var file in files)
        {
            var part = new StreamContent(file.Content);
            part.Headers.ContentType = MediaTypeHeaderValue.TryParse(file.ContentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", file.Name);
        }

        return IngestAsync(form, indexName, shared, cancellationToken);
    }

    /// <summary>Posts links (OPEA's <c>link_list</c>, a JSON array in a form field) into <paramref name="indexName"/>.</summary>
    public Task<DataprepResult> IngestLinksAsync(IReadOnlyList<string> links, string? indexName, bool shared = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(links);
        var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(links.ToList(), DataprepJsonContext.Default.ListString)), "link_list" },
        };
        return IngestAsync(form, indexName, shared, cancellationToken);
    }

    /// <summary>The documents of <paramref name="indexName"/> (null: the gateway's default; <c>all</c>: every collection).</summary>
    public async Task<IReadOnlyList<DataprepFile>> ListAsync(string? indexName, CancellationToken cancellationToken = default) =>
        await PostJsonAsync("v1/dataprep/get", new DataprepGetRequest { IndexName = indexName }, DataprepJsonContext.Default.DataprepGetRequest,
            DataprepJsonContext.Default.IReadOnlyListDataprepFile, cancellationToken) ?? [];

    /// <summary>An admin's own collection <paramref name="indexName"/> becomes the shared one of that name; how many documents moved.</summary>
    public async Task<int> ShareAsync(string indexName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexName);
        var result = await PostJsonAsync("v1/dataprep/share", new DataprepShareRequest { IndexName = indexName },
            DataprepJsonContext.Default.DataprepShareRequest, DataprepJsonContext.Default.DataprepShareResult, cancellationToken).ConfigureAwait(false);
        return result?.Documents ?? 0;
    }

    /// <summary>Deletes a document by id or name (or <c>all</c>) from <paramref name="indexName"/>.</summary>
    public async Task DeleteAsync(string filePath, string? indexName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        await PostJsonAsync("v1/dataprep/delete", new DataprepDeleteRequest { FilePath = filePath, IndexName = indexName },
            DataprepJsonContext.Default.DataprepDeleteRequest, DataprepJsonContext.Default.DataprepDeleteResult, cancellationToken);
    }

    private async Task<DataprepResult> IngestAsync(MultipartFormDataContent form, string? indexName, bool shared, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(indexName))
        {
            form.Add(new StringContent(indexName.Trim()), "index_name");
        }

        if (shared)
        {
            form.Add(new StringContent("true"), "shared");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/dataprep/ingest") { Content = form };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ConversationsClient.ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadFromJsonAsync(DataprepJsonContext.Default.DataprepResult, cancellationToken).ConfigureAwait(false)
            ?? new DataprepResult(200, DataprepResult.SucceededMessage);
    }

    private async Task<TResult?> PostJsonAsync<TBody, TResult>(string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, bodyType))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } },
            },
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ConversationsClient.ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadFromJsonAsync(resultType, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            caller?.Stamp(request.Headers);
            return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new ChatQnAException(ChatQnAFailure.Unreachable, UnreachableMessage, innerException: exception);
        }
    }

    /// <summary>A size for people: 512 B, 3.4 KB, 12 MB.</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
    };
}
