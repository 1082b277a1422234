using System.Text.Json.Serialization;
using OpeaChat.Benchmarks.Constrained;
using OpeaChat.Benchmarks.Load;
using OpeaChat.Benchmarks.Prefix;
using OpeaChat.Benchmarks.Synth;

namespace OpeaChat.Benchmarks.Reporting;

/// <summary>
/// The results' JSON: snake_case names, nulls written (so every property is always present and the schema does not
/// change shape with the data), indented for people who open the file.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true)]
[JsonSerializable(typeof(LoadResult))]
[JsonSerializable(typeof(PrefixResult))]
[JsonSerializable(typeof(ConstrainedResult))]
[JsonSerializable(typeof(SynthResult))]
public sealed partial class BenchmarkJsonContext : JsonSerializerContext;
