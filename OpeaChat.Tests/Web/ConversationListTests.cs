using System.Net;
using static OpeaChat.Tests.Web.TestTab;

namespace OpeaChat.Tests.Web;

/// <summary>The sidebar's list against an in-memory gateway, and what its changes do to the open conversation.</summary>
public sealed class ConversationListTests
{
    [Fact]
    public async Task Deleting_the_open_conversation_shows_a_new_chat()
    {
        var deleted = false;
        var tab = new TestTab(request =>
        {
            if (request.Method == HttpMethod.Delete)
            {
                deleted = true;
                return new HttpResponseMessage(HttpStatusCode.NoContent);
            }

            return (request.Method.Method, request.RequestUri!.AbsolutePath) switch
            {
                ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
                ("GET", "/v1/conversations") => Json(deleted ? """{"data":[],"total":0}""" : ListJson("Hi")),
                _ => Json(ConversationJson("Hi")),
            };
        });
        await tab.Open.OpenAsync(Id);
        Assert.Equal(2, tab.Open.Messages.Count);

        Assert.True(await tab.List.DeleteAsync(Id));

        Assert.Single(tab.Gateway.Requests, request => request.Method == HttpMethod.Delete && request.Uri!.AbsolutePath == $"/v1/conversations/{Id}");
        Assert.Null(tab.Open.ConversationId);
        Assert.Empty(tab.Open.Messages);
        Assert.Null(tab.Open.Current);
        Assert.Empty(tab.List.Items);
        Assert.Null(tab.Errors.Error);
    }

    [Fact]
    public async Task Renaming_the_open_conversation_renames_it_even_while_a_search_hides_it()
    {
        var tab = new TestTab(request => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("PATCH", _) => Json(ConversationJson("Renamed")),
            ("GET", var path) when path.EndsWith("/messages", StringComparison.Ordinal) => Json(MessagesJson("complete", "Hello")),
            ("GET", "/v1/conversations") when request.RequestUri.Query.Contains("q=", StringComparison.Ordinal) => Json("""{"data":[],"total":0}"""),
            ("GET", "/v1/conversations") => Json(ListJson("Hi")),
            _ => Json(ConversationJson("Hi")),
        });
        await tab.Open.OpenAsync(Id);
        await tab.List.RefreshAsync("nothing like it");
        Assert.Empty(tab.List.Items);
        Assert.Equal("Hi", tab.Open.Current!.Title);

        Assert.True(await tab.List.RenameAsync(Id, "Renamed"));

        Assert.Equal("nothing like it", tab.List.SearchQuery);
        Assert.Empty(tab.List.Items);
        Assert.Equal("Renamed", tab.Open.Current!.Title);
    }

    [Fact]
    public async Task A_list_the_gateway_cannot_give_is_an_error_whose_retry_lists_again()
    {
        var down = true;
        var tab = new TestTab(_ => down
            ? Json("""{"error":{"message":"Inference broke.","type":"unavailable_error"}}""", HttpStatusCode.BadGateway)
            : Json(ListJson("Hi")));

        await tab.List.RefreshAsync();

        Assert.Empty(tab.List.Items);
        Assert.Equal("Inference broke.", tab.Errors.Error?.Message);
        Assert.True(tab.Errors.Error!.ConcernsTheService);
        Assert.NotNull(tab.Errors.RetryAction);

        down = false;
        await tab.Errors.RetryAction();

        Assert.Equal("Hi", Assert.Single(tab.List.Items).Title);
    }
}
