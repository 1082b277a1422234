namespace OpeaChat.ChatQnA.Conversations;

/// <summary>How the conversation stores write values: timestamps both providers keep as given, blank text as null.</summary>
internal static class StoredValues
{
    /// <summary>Microsecond precision: what PostgreSQL keeps, so both providers give back what was written.</summary>
    public static DateTimeOffset Now(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }

    public static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
