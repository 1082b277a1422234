using System.ComponentModel.DataAnnotations;

namespace OpeaChat.Web.Gateway;

/// <summary>How the web frontend reaches the ChatQnA gateway (configuration section <c>ChatQnA</c>).</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "ChatQnA";

    /// <summary>The gateway's base address; <c>http://chatqna</c> is resolved by Aspire service discovery.</summary>
    [Required]
    [Url]
    public string BaseUrl { get; set; } = "http://chatqna";

    /// <summary>The gateway's API key, when the gateway requires one (<c>ChatQnA:ApiKeys</c> there). Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long the page waits for the gateway's <c>/health</c> answer.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
