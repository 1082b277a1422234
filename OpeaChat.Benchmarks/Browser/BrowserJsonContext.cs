using System.Text.Json.Serialization;

namespace OpeaChat.Benchmarks.Browser;

/// <summary>The browser results' JSON, as <see cref="Reporting.BenchmarkJsonContext"/> writes the others' (snake_case, nulls written).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    WriteIndented = true)]
[JsonSerializable(typeof(BrowserResult))]
public sealed partial class BrowserJsonContext : JsonSerializerContext;
