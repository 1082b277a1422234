using System.Net;

namespace OpeaChat.Web.Gateway;

/// <summary>What went wrong while talking to the ChatQnA gateway, in the terms the page shows.</summary>
public enum ChatQnAFailure
{
    /// <summary>The gateway could not be reached at all (not running, wrong address).</summary>
    Unreachable,

    /// <summary>The gateway answered 503 (or 502/504): no model, or inference unreachable.</summary>
    Unavailable,

    /// <summary>The model is still loading (503 with code <c>model_loading</c>): try again shortly.</summary>
    Loading,

    /// <summary>Too many requests (429); <see cref="ChatQnAException.RetryAfter"/> says when to try again.</summary>
    RateLimited,

    /// <summary>The gateway refused the request as it was (4xx): the message says why.</summary>
    Rejected,

    /// <summary>
    /// The gateway no longer takes this person's session (401 <see cref="Contracts.Accounts.ForwardedHeaders.InvalidUser"/> or <see cref="Contracts.Accounts.ForwardedHeaders.PersonRequired"/>): the account
    /// was locked, deleted or unapproved, or its password changed since sign-in. Only signing in again helps.
    /// </summary>
    SessionEnded,

    /// <summary>The gateway reported another error: a non-success status, or an error object inside the stream.</summary>
    HttpError,

    /// <summary>The stream ended (or broke) before <c>data: [DONE]</c>: the reply is incomplete.</summary>
    CutOff,

    /// <summary>The gateway sent something that is not the OPEA stream format.</summary>
    InvalidReply,
}

/// <summary>A failure of the ChatQnA gateway, carrying a message fit to show a person.</summary>
public sealed class ChatQnAException : Exception
{
    public ChatQnAException()
        : this(ChatQnAFailure.HttpError, "The chat service failed.")
    {
    }

    public ChatQnAException(string message)
        : this(ChatQnAFailure.HttpError, message)
    {
    }

    public ChatQnAException(string message, Exception innerException)
        : this(ChatQnAFailure.HttpError, message, statusCode: null, innerException)
    {
    }

    public ChatQnAException(ChatQnAFailure failure, string message, HttpStatusCode? statusCode = null, Exception? innerException = null, TimeSpan? retryAfter = null)
        : base(message, innerException)
    {
        Failure = failure;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    /// <summary>How long the gateway asked to wait (its Retry-After header), when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    public ChatQnAFailure Failure { get; }

    /// <summary>The gateway's HTTP status, when it answered with one.</summary>
    public HttpStatusCode? StatusCode { get; }
}
