using System.Globalization;
using Microsoft.JSInterop;

namespace OpeaChat.Web.Chat;

/// <summary>
/// The person's time zone, asked of their browser once the page is interactive: the page renders on the server, whose
/// clock may be in another zone (a GPU server abroad, a container on UTC). Until then, and if the browser cannot say,
/// times show in the server's zone.
/// </summary>
public sealed class BrowserTimeZone
{
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Local;

    /// <summary>Changes when the zone is learned, so a view can tell that its times must be drawn again.</summary>
    public string Id => Zone.Id;

    public DateTimeOffset ToLocal(DateTimeOffset time) => TimeZoneInfo.ConvertTime(time, Zone);

    public DateTime Today(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return ToLocal(clock.GetUtcNow()).Date;
    }

    /// <summary>Asks the browser for its IANA zone (or, failing that, its current UTC offset).</summary>
    public async Task DetectAsync(IJSRuntime js)
    {
        ArgumentNullException.ThrowIfNull(js);
        var answer = await js.InvokeAsync<BrowserZoneAnswer>("opeaChat.timeZone");
        Zone = FromAnswer(answer);
    }

    /// <summary>
    /// <see cref="DetectAsync"/> for a page that cannot do anything about a failure: false when the tab closed or
    /// the browser would not say (the server's zone stays).
    /// </summary>
    public async Task<bool> TryDetectAsync(IJSRuntime js)
    {
        try
        {
            await DetectAsync(js);
            return true;
        }
        catch (JSDisconnectedException)
        {
            return false;
        }
        catch (JSException)
        {
            return false;
        }
    }

    public static TimeZoneInfo FromAnswer(BrowserZoneAnswer? answer)
    {
        if (answer?.Id is { Length: > 0 } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone))
        {
            return zone;
        }

        // Without the zone database (a chiseled container) the offset of today is the best there is.
        var offset = TimeSpan.FromMinutes(Math.Clamp(answer?.OffsetMinutes ?? 0, -14 * 60, 14 * 60));
        if (offset == TimeSpan.Zero)
        {
            return TimeZoneInfo.Utc;
        }

        var name = string.Create(CultureInfo.InvariantCulture, $"UTC{(offset < TimeSpan.Zero ? '-' : '+')}{offset.Duration():hh\\:mm}");
        return TimeZoneInfo.CreateCustomTimeZone(name, offset, name, name);
    }
}

/// <summary>What <c>opeaChat.timeZone()</c> answers.</summary>
public sealed record BrowserZoneAnswer(string? Id, int OffsetMinutes);
