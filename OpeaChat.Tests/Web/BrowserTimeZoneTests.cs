using OpeaChat.Web.Chat;
using OpeaChat.Web.Components.Chat;

namespace OpeaChat.Tests.Web;

/// <summary>Times in the person's zone, as their browser names it, whatever the server's clock says.</summary>
public sealed class BrowserTimeZoneTests
{
    [Fact]
    public void A_named_zone_is_used_with_its_daylight_saving_rules()
    {
        var zone = BrowserTimeZone.FromAnswer(new BrowserZoneAnswer("Europe/Berlin", 60));

        Assert.Equal(TimeSpan.FromHours(1), zone.GetUtcOffset(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal(TimeSpan.FromHours(2), zone.GetUtcOffset(new DateTimeOffset(2026, 7, 15, 12, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData(null, 330, 330)]
    [InlineData("Not/AZone", -480, -480)]
    [InlineData(null, 0, 0)]
    [InlineData(null, 99_999, 14 * 60)]
    public void Without_a_known_zone_the_offset_the_browser_gave_is_used(string? id, int offsetMinutes, int expectedMinutes)
    {
        var zone = BrowserTimeZone.FromAnswer(new BrowserZoneAnswer(id, offsetMinutes));

        Assert.Equal(TimeSpan.FromMinutes(expectedMinutes), zone.BaseUtcOffset);
    }

    [Theory]
    [InlineData("2026-11-27", "Today")]
    [InlineData("2026-11-26", "Yesterday")]
    [InlineData("2026-11-21", "Previous 7 days")]
    [InlineData("2026-11-20", "November 2026")]
    [InlineData("2025-12-31", "December 2025")]
    public void Conversations_are_grouped_by_the_persons_day(string day, string label) =>
        Assert.Equal(label, ConversationSidebar.DayLabel(DateTime.Parse(day, System.Globalization.CultureInfo.InvariantCulture), new DateTime(2026, 11, 27)));
}
