namespace OpeaChat.Benchmarks.Cli;

/// <summary>What a benchmark is pointed at.</summary>
public enum TargetKind
{
    /// <summary>The OPEA gateway's <c>/v1/chatqna</c> stream.</summary>
    ChatQnA,

    /// <summary>Any OpenAI-compatible <c>/v1/chat/completions</c>: the inference service, or the gateway's OpenAI door.</summary>
    OpenAi,

    /// <summary>LLamaSharp in the benchmark's own process, no HTTP: the floor.</summary>
    InProcess,
}

/// <summary>One <c>--target KIND ADDRESS</c>: a base URL, or for <see cref="TargetKind.InProcess"/> a GGUF file.</summary>
public sealed record TargetSpec(TargetKind Kind, string Address)
{
    public string Name => KindName(Kind);

    public static string KindName(TargetKind kind) => kind switch
    {
        TargetKind.ChatQnA => "chatqna",
        TargetKind.OpenAi => "openai",
        _ => "inprocess",
    };

    /// <summary>Reads <c>KIND=ADDRESS</c>; a bare URL means <paramref name="defaultKind"/>.</summary>
    public static TargetSpec Parse(string text, TargetKind? defaultKind = null)
    {
        var separator = text.IndexOf('=', StringComparison.Ordinal);
        var schemeAt = text.IndexOf("://", StringComparison.Ordinal);
        if (separator < 0 || (schemeAt >= 0 && schemeAt < separator))
        {
            return defaultKind is { } kind
                ? Create(kind, text)
                : throw new CommandLineException($"--target needs a kind and an address, such as 'openai http://127.0.0.1:9009', not '{text}'.");
        }

        var kindText = text[..separator];
        var parsed = kindText.ToUpperInvariant() switch
        {
            "CHATQNA" => TargetKind.ChatQnA,
            "OPENAI" => TargetKind.OpenAi,
            "INPROCESS" => TargetKind.InProcess,
            _ => throw new CommandLineException($"Unknown target kind '{kindText}': use chatqna, openai or inprocess."),
        };
        return Create(parsed, text[(separator + 1)..]);
    }

    /// <summary>A URL's base with a trailing slash, so relative paths such as <c>v1/chatqna</c> append to it.</summary>
    public Uri BaseUri => new(Address.EndsWith('/') ? Address : Address + "/");

    private static TargetSpec Create(TargetKind kind, string address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            throw new CommandLineException($"--target {KindName(kind)} needs an address.");
        }

        if (kind == TargetKind.InProcess)
        {
            return File.Exists(address)
                ? new TargetSpec(kind, Path.GetFullPath(address))
                : throw new CommandLineException($"--target inprocess needs a GGUF file; '{address}' does not exist.");
        }

        return Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? new TargetSpec(kind, address)
            : throw new CommandLineException($"--target {KindName(kind)} needs an http(s) URL such as http://127.0.0.1:8888, not '{address}'.");
    }
}
