using Microsoft.AspNetCore.Components;
using OpeaChat.Web.Accounts;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// Why the last request failed, as a Fluent message bar with Retry (or, for a session that has ended, a link to sign in
/// again): the gateway's own words, what the person can do about it, and the model's load progress while it loads. The
/// message itself stays in the input.
/// </summary>
public sealed partial class ChatErrorBar
{
    [Parameter, EditorRequired]
    public ChatError Error { get; set; } = default!;

    /// <summary>The gateway's health, for the load progress of a model that is still loading.</summary>
    [Parameter]
    public GatewayHealth? Health { get; set; }

    [Parameter]
    public EventCallback OnRetry { get; set; }

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Parameter]
    public EventCallback OnDismiss { get; set; }

    private string? Advice => Error.Failure switch
    {
        ChatQnAFailure.Loading => "Your message is kept: press Retry once the model has loaded.",
        ChatQnAFailure.RateLimited => "Your message is kept: press Retry after the wait.",
        ChatQnAFailure.Unreachable => "Check that the ChatQnA gateway is running; your message is kept.",
        ChatQnAFailure.Unavailable => "The service cannot answer right now; your message is kept.",
        ChatQnAFailure.Rejected => "The request was refused as sent: change it, or the chat settings, and try again.",
        ChatQnAFailure.SessionEnded => "Sign in again to go on; your message is kept.",
        _ => null,
    };

    /// <summary>The sign-in page, coming back here afterwards (a path of this site, as sign-in only accepts).</summary>
    private string SignInHref =>
        $"{AccountEndpoints.SignInPath.TrimStart('/')}?returnUrl={Uri.EscapeDataString("/" + Navigation.ToBaseRelativePath(Navigation.Uri))}";

    private int? LoadProgress => Error.Failure == ChatQnAFailure.Loading && Health is { State: GatewayState.Loading, Progress: { } progress }
        ? (int)Math.Round(progress * 100)
        : null;
}
