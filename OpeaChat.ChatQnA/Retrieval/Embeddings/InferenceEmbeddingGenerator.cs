using System.Net.Http.Json;
using Microsoft.Extensions.AI;
using OpeaChat.Contracts.OpenAi;

namespace OpeaChat.ChatQnA.Retrieval.Embeddings;

/// <summary>
/// Microsoft.Extensions.AI's embedding generator over inference's OpenAI <c>/v1/embeddings</c>, so that retrieval and
/// ingestion can use any other <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> (another OpenAI-compatible server,
/// a cloud service) by registering it instead. Inputs go in batches of <see cref="BatchSize"/>, which inference embeds
/// together. Inputs longer than the embedding model's context are cut to it (<c>truncate</c>): a chunk's vector then
/// covers its beginning, while its whole text is still stored and found by full-text search.
/// </summary>
public sealed class InferenceEmbeddingGenerator(HttpClient httpClient) : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int BatchSize = 32;

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Count) { Usage = new UsageDetails { InputTokenCount = 0 } };
        foreach (var batch in inputs.Chunk(BatchSize))
        {
            using var response = await httpClient.PostAsJsonAsync("v1/embeddings",
                new EmbeddingRequest { Input = new PromptText(batch), Model = options?.ModelId, Truncate = true }, OpenAiJsonContext.Default.EmbeddingRequest, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = await ReadErrorAsync(response, cancellationToken);
                throw new HttpRequestException($"Inference could not embed the text ({(int)response.StatusCode}): {error}", null, response.StatusCode);
            }

            var answer = await response.Content.ReadFromJsonAsync(OpenAiJsonContext.Default.EmbeddingResponse, cancellationToken)
                ?? throw new HttpRequestException("Inference sent an empty embeddings answer.");
            if (answer.Data.Count != batch.Length)
            {
                throw new HttpRequestException($"Inference sent {answer.Data.Count} embeddings for {batch.Length} inputs.");
            }

            foreach (var data in answer.Data.OrderBy(data => data.Index))
            {
                result.Add(new Embedding<float>(data.Embedding.ToArray()) { ModelId = answer.Model });
            }

            result.Usage.InputTokenCount += answer.Usage.PromptTokens;
        }

        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        // The HTTP client belongs to the client factory.
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return (await response.Content.ReadFromJsonAsync(OpenAiJsonContext.Default.ErrorResponse, cancellationToken))?.Error.Message ?? response.ReasonPhrase ?? string.Empty;
        }
        catch (System.Text.Json.JsonException)
        {
            return response.ReasonPhrase ?? string.Empty;
        }
    }
}
