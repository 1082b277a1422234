using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Dataprep;

/// <summary>OPEA's dataprep calls as a client makes them (multipart ingest, list), and waiting for ingestion to finish.</summary>
public static class DataprepCalls
{
    public static Task<HttpResponseMessage> IngestAsync(GatewayHost gateway, params (string Field, string? FileName, byte[] Content)[] parts) => IngestAsync(gateway, parts, null);

    public static Task<HttpResponseMessage> IngestAsync(GatewayHost gateway, string[] links) => IngestAsync(gateway, [], links);

    public static async Task<HttpResponseMessage> IngestAsync(GatewayHost gateway, (string Field, string? FileName, byte[] Content)[] parts, string[]? links)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (field, fileName, content) in parts)
        {
            var part = new ByteArrayContent(content);
            if (fileName is null)
            {
                form.Add(part, field);
            }
            else
            {
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                form.Add(part, field, fileName);
            }
        }

        if (links is not null)
        {
            form.Add(new StringContent(JsonSerializer.Serialize(links)), "link_list");
        }

        return await gateway.Client.PostAsync("/v1/dataprep/ingest", form);
    }

    public static async Task<List<JsonElement>> ListAsync(GatewayHost gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/dataprep/get") { Content = new ByteArrayContent([]) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await gateway.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(file => file.Clone()).ToList();
    }

    public static async Task<List<JsonElement>> WaitUntilSearchableAsync(GatewayHost gateway, int count)
    {
        var files = await WaitUntilFinishedAsync(gateway, count);
        Assert.All(files, file => Assert.True(file.GetProperty("status").GetString() == "searchable", file.GetRawText()));
        return files;
    }

    /// <summary>Polls the list, as OPEA's UI does (within the gateway's default rate limit), until every one of the documents is searchable or failed.</summary>
    public static async Task<List<JsonElement>> WaitUntilFinishedAsync(GatewayHost gateway, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var files = await ListAsync(gateway);
            if (files.Count == count && files.All(file => file.GetProperty("status").GetString() is "searchable" or "failed"))
            {
                return files;
            }

            await Task.Delay(200, timeout.Token);
        }
    }
}
