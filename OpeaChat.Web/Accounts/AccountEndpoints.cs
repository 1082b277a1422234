using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace OpeaChat.Web.Accounts;

public static class AccountEndpoints
{
    public const string SignInPath = "/account/sign-in";
    public const string SignUpPath = "/account/sign-up";

    /// <summary><c>POST /account/sign-out</c>: a form post from the header (with its antiforgery token), then the sign-in page.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var account = endpoints.MapGroup("/account");
        account.MapPost("/sign-out", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.BadRequest("The sign-out form has expired: reload the page and try again.");
            }

            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("~" + SignInPath);
        }).AllowAnonymous();
        return endpoints;
    }

    /// <summary>Where to go after signing in: a path of this site only, never another site (an open redirect).</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl[0] == '/' && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            && !returnUrl.StartsWith(SignInPath, StringComparison.OrdinalIgnoreCase) && !returnUrl.StartsWith(SignUpPath, StringComparison.OrdinalIgnoreCase)
            ? returnUrl
            : "/";
}
