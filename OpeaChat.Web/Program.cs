using Microsoft.FluentUI.AspNetCore.Components;
using OpeaChat.Web;
using OpeaChat.Web.Components;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWebServices();
builder.Services.AddRazorComponents()
    .AddInteractiveServerComponents();
builder.Services.AddFluentUIComponents();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}

// No HTTPS redirection: the AppHost and the compose deployment serve this frontend over plain http.
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAntiforgery();

app.MapDefaultEndpoints();
app.MapStaticAssets();
app.MapConversationExport();
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();

app.Run();
