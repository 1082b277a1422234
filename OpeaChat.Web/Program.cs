using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Web;
using OpeaChat.Web.Accounts;
using OpeaChat.ServiceDefaults.Security;
using OpeaChat.Web.Components;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWebServices();
builder.AddWebAccounts();
builder.Services.AddSingleton<IRequestRejection, PlainTextRequestRejection>();
builder.AddHttpSecurity();
builder.Services.AddRazorComponents()
    .AddInteractiveServerComponents();
builder.Services.AddFluentUIComponents();

var app = builder.Build();

// The page's CSP: scripts only from this app (no inline script, no import map), connections (the circuit's
// WebSocket) only to itself; Fluent UI's components set inline styles. /_blazor checks the Origin of its
// WebSocket upgrade and negotiate calls, so another site cannot open a circuit in the user's name.
app.UseHttpSecurity(policy =>
{
    policy.ContentSecurityPolicy = WebSecurity.ContentSecurityPolicy;
    // The account pages post forms to this app; other sites still get no referrer.
    policy.ReferrerPolicy = "same-origin";
    policy.OriginCheckedPaths.Add("/_blazor");
});

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}

// No HTTPS redirection: the AppHost and the compose deployment serve this frontend over plain http.
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapDefaultEndpoints();
app.MapStaticAssets().AllowAnonymous();
app.MapAccountEndpoints();
app.MapSingleSignOnEndpoints();
app.MapConversationExport();
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();

app.Run();
