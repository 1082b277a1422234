using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Components.Chat;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Tests.Web;

/// <summary>Each kind of failure gets its own message bar: title, colour, the gateway's words, advice, Retry.</summary>
public sealed class ChatErrorBarTests : ChatComponentTestContext
{
    private IRenderedComponent<ChatErrorBar> RenderBar(ChatError error, GatewayHealth? health = null, Action? retry = null) =>
        Render<ChatErrorBar>(parameters => parameters
            .Add(bar => bar.Error, error)
            .Add(bar => bar.Health, health)
            .Add(bar => bar.OnRetry, retry ?? (() => { })));

    [Theory]
    [InlineData(ChatQnAFailure.Loading, "The model is loading", "warning", "once the model has loaded")]
    [InlineData(ChatQnAFailure.RateLimited, "Too many requests", "warning", "after the wait")]
    [InlineData(ChatQnAFailure.Unavailable, "Service unavailable", "error", "cannot answer right now")]
    [InlineData(ChatQnAFailure.Unreachable, "Service unreachable", "error", "gateway is running")]
    [InlineData(ChatQnAFailure.Rejected, "Request rejected", "error", "refused as sent")]
    public void Each_failure_has_its_title_intent_and_advice(ChatQnAFailure failure, string title, string intent, string advice)
    {
        var bar = RenderBar(new ChatError(failure, "The gateway's own reason.", 1));

        var markup = bar.Markup;
        Assert.Contains(title, markup, StringComparison.Ordinal);
        Assert.Contains("The gateway's own reason.", markup, StringComparison.Ordinal);
        Assert.Contains(advice, bar.Find(".chat-error-advice").TextContent, StringComparison.Ordinal);
        Assert.Equal(failure.ToString(), bar.Find("[data-failure]").GetAttribute("data-failure"));
        Assert.Equal(intent, bar.Find("#chat-error").GetAttribute("intent"), ignoreCase: true);
        Assert.Single(bar.FindAll("#retry-button"));
    }

    [Fact]
    public void An_ended_session_links_to_sign_in_coming_back_here_and_offers_no_retry()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("c/0198c0de-0000-7000-8000-000000000001?branch=2");

        var bar = RenderBar(new ChatError(ChatQnAFailure.SessionEnded, "The account is locked.", 1));

        Assert.Contains("Your session has ended", bar.Markup, StringComparison.Ordinal);
        Assert.Contains("The account is locked.", bar.Markup, StringComparison.Ordinal);
        Assert.Equal("Sign in again to go on; your message is kept.", bar.Find(".chat-error-advice").TextContent);
        var link = bar.Find("a#sign-in-again");
        Assert.Equal("Sign in", link.TextContent);
        Assert.Equal("account/sign-in?returnUrl=%2Fc%2F0198c0de-0000-7000-8000-000000000001%3Fbranch%3D2", link.GetAttribute("href"));
        Assert.Equal("false", link.GetAttribute("data-enhance-nav"));
        Assert.Empty(bar.FindAll("#retry-button"));
        Assert.Single(bar.FindAll("#dismiss-error-button"));
    }

    [Fact]
    public void Other_failures_offer_retry_and_no_sign_in_link()
    {
        var bar = RenderBar(new ChatError(ChatQnAFailure.Rejected, "No.", 1));

        Assert.Single(bar.FindAll("#retry-button"));
        Assert.Empty(bar.FindAll("#sign-in-again"));
    }

    [Fact]
    public void A_model_that_is_loading_shows_its_progress()
    {
        var bar = RenderBar(new ChatError(ChatQnAFailure.Loading, "The model m is loading (40 %).", 1), new GatewayHealth(GatewayState.Loading, "Loading", 0.4));

        var progress = bar.Find(".status-progress");
        Assert.Equal("40", progress.GetAttribute("value"));
    }

    [Fact]
    public void Other_failures_show_no_progress_even_while_a_model_loads()
    {
        var bar = RenderBar(new ChatError(ChatQnAFailure.Rejected, "No.", 1), new GatewayHealth(GatewayState.Loading, "Loading", 0.4));

        Assert.Empty(bar.FindAll(".status-progress"));
    }

    [Fact]
    public void Retry_calls_back()
    {
        var retried = 0;
        var bar = RenderBar(new ChatError(ChatQnAFailure.Unreachable, "Down.", 1), retry: () => retried++);

        bar.Find("#retry-button").Click();

        Assert.Equal(1, retried);
    }
}
