using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Chat;

/// <summary>An error to show above the input, in the gateway's own words where it gave any.</summary>
/// <param name="Failure">What kind of failure: the message bar's title, colour and advice follow from it.</param>
/// <param name="RetryAt">When the gateway said to try again (rate limited, model loading), if it said.</param>
public sealed record ChatError(ChatQnAFailure Failure, string Message, int Id, DateTimeOffset? RetryAt = null)
{
    /// <summary>Waiting will fix it (model loading, rate limited): a warning rather than an error.</summary>
    public bool IsWarning => Failure is ChatQnAFailure.Loading or ChatQnAFailure.RateLimited;

    /// <summary>Only signing in again helps (the session has ended): retrying the request cannot work.</summary>
    public bool CanRetry => Failure is not ChatQnAFailure.SessionEnded;

    /// <summary>The service itself cannot answer (loading, unavailable, unreachable): what the health status also says.</summary>
    public bool ConcernsTheService => Failure is ChatQnAFailure.Loading or ChatQnAFailure.Unavailable or ChatQnAFailure.Unreachable;

    public string Title => Failure switch
    {
        ChatQnAFailure.Loading => "The model is loading",
        ChatQnAFailure.RateLimited => "Too many requests",
        ChatQnAFailure.Rejected => "Request rejected",
        ChatQnAFailure.SessionEnded => "Your session has ended",
        ChatQnAFailure.Unreachable => "Service unreachable",
        ChatQnAFailure.Unavailable => "Service unavailable",
        ChatQnAFailure.CutOff => "Reply cut off",
        _ => "Error",
    };
}

/// <summary>What sending (or regenerating) did with the user's text.</summary>
public enum SendOutcome
{
    /// <summary>Nothing was sent (empty text, or a reply is still streaming).</summary>
    NotSent,

    /// <summary>The reply arrived in full.</summary>
    Replied,

    /// <summary>The user stopped the reply; what arrived is kept.</summary>
    Stopped,

    /// <summary>The request failed; the session's error says why and the text should go back to the input.</summary>
    Failed,
}
