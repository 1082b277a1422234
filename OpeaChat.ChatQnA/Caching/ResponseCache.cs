using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Telemetry;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Caching;

/// <summary>
/// Answers an identical non-streaming request with a fixed seed from <see cref="HybridCache"/>: with the same seed and
/// parameters the model would write the same text again, so generating it twice only costs time.
/// </summary>
public sealed class ResponseCache(HybridCache cache, GatewayMetrics metrics, IOptions<ChatQnAOptions> options)
{
    public bool IsCacheable(ChatCompletionRequest request) =>
        options.Value.ResponseCache.Enabled && request.Stream != true && request.Seed is not null;

    public async Task<ChatCompletionResponse> GetOrCreateAsync(
        ChatCompletionRequest request, Func<CancellationToken, Task<ChatCompletionResponse>> generate, CancellationToken cancellationToken)
    {
        var generated = false;
        var response = await cache.GetOrCreateAsync(
            KeyOf(request),
            async token =>
            {
                generated = true;
                return await generate(token);
            },
            new HybridCacheEntryOptions { Expiration = options.Value.ResponseCache.Expiration, LocalCacheExpiration = options.Value.ResponseCache.Expiration },
            cancellationToken: cancellationToken);

        if (generated)
        {
            metrics.RecordCacheMiss();
        }
        else
        {
            metrics.RecordCacheHit();
        }

        return response;
    }

    /// <summary>The whole request but its delivery: tools, tool_choice and tool messages are part of it, so a text answer never serves a tool request.</summary>
    private static string KeyOf(ChatCompletionRequest request)
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(request with { Stream = false, StreamOptions = null, User = null }, OpenAiJsonContext.Default.ChatCompletionRequest);
        return "chat-completion:" + Convert.ToHexStringLower(SHA256.HashData(canonical));
    }
}
