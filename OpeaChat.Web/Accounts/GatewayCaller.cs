using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using OpeaChat.Contracts.Accounts;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Accounts;

/// <summary>
/// Whom this web server's calls to the gateway are for: the browser tab (for the rate limiter) and, with accounts on,
/// the signed-in person and their session. Scoped: a circuit's own, or one HTTP request's. A typed client gets it from
/// the scope that asks for the client, which a message handler could not (handlers live in a scope of their own).
/// </summary>
public sealed class GatewayCaller(BrowserTab tab, IServiceProvider services)
{
    /// <summary>The signed-in person, or null (local mode, or a page before sign-in).</summary>
    public ClaimsPrincipal? User => field ??= ResolveUser();

    /// <summary>
    /// Whether this person may change what everyone shares (models, documents): an admin, or anyone in local mode.
    /// The gateway decides (it refuses members); the page only leaves out the buttons it would refuse.
    /// </summary>
    public bool MayChangeShared => User.AccountId() is null || User.IsAdmin();

    /// <summary>Whether a person is signed in (accounts on): what they add is then their own unless they share it.</summary>
    public bool SignedIn => User.AccountId() is not null;

    /// <param name="person">
    /// False for the web's own calls that must name nobody (the password check behind sign-in): the gateway takes
    /// those only from the forwarder alone, and a person's old session stamp would refuse them.
    /// </param>
    public void Stamp(HttpHeaders headers, bool person = true)
    {
        ArgumentNullException.ThrowIfNull(headers);
        headers.TryAddWithoutValidation(ForwardedHeaders.Client, tab.Id);
        if (person && User.AccountId() is { } id)
        {
            headers.TryAddWithoutValidation(ForwardedHeaders.User, id);
            if (User!.FindFirstValue(PersonClaims.SessionStampType) is { } stamp)
            {
                headers.TryAddWithoutValidation(ForwardedHeaders.Session, stamp);
            }
        }
    }

    private ClaimsPrincipal? ResolveUser()
    {
        // In a circuit the request that started it is gone: the circuit's authentication state is the person. It is set
        // from the cookie when the circuit (or a server-rendered page) starts, so its task is already complete.
        if (services.GetService<AuthenticationStateProvider>() is { } provider)
        {
            try
            {
                var state = provider.GetAuthenticationStateAsync();
                if (state.IsCompletedSuccessfully)
                {
                    return state.Result.User;
                }
            }
            catch (InvalidOperationException)
            {
                // Not a component's scope (a plain endpoint, such as the export download): the request says.
            }
        }

        return services.GetService<IHttpContextAccessor>()?.HttpContext?.User;
    }
}
