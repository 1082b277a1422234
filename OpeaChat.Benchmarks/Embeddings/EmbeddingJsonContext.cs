using System.Text.Json.Serialization;

namespace OpeaChat.Benchmarks.Embeddings;

/// <summary>The <c>embed</c> results' JSON, written as <see cref="Reporting.BenchmarkJsonContext"/> writes the others.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true)]
[JsonSerializable(typeof(EmbeddingResult))]
public sealed partial class EmbeddingJsonContext : JsonSerializerContext;
