namespace OpeaChat.Tests.Security;

/// <summary>Which service a case is sent to.</summary>
public enum SecurityTarget
{
    /// <summary>The gateway with API keys.</summary>
    Gateway,

    /// <summary>The gateway without keys, as a developer runs it.</summary>
    OpenGateway,

    /// <summary>Inference with its key.</summary>
    Inference,
}

/// <summary>Which key the case's client sends.</summary>
public enum KeyUse
{
    Valid,
    None,
    Wrong,
}

/// <summary>
/// One hostile request and what it must get: the status, and the field (OpenAI's <c>param</c>, OPEA's <c>loc</c>, or
/// for a refusal in OPEA's <c>{"detail"}</c> shape, a word its message must name). <c>{model}</c> in the path is the
/// test model's id.
/// </summary>
public sealed record HostileCase(
    string Name, SecurityTarget Target, string Method, string Path, int Status, string? Field,
    string? Body = null, string? ContentType = "application/json", string? Origin = null, string? Host = null, KeyUse Key = KeyUse.Valid)
{
    public override string ToString() => Name;
}
