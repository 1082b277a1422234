using OpeaChat.ChatQnA;
using OpeaChat.ChatQnA.Accounts;
using OpeaChat.ChatQnA.Completions;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Dataprep;
using OpeaChat.ChatQnA.Models;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.ChatQnA.Prompts;
using OpeaChat.ChatQnA.Protection;
using OpeaChat.ServiceDefaults.Security;
using Scalar.AspNetCore;

// `backup FOLDER` / `restore FOLDER`: copy the SQLite stores while a gateway runs (docs/reliability.md).
if (OpeaChat.ChatQnA.Data.StoreBackupCommand.Matches(args))
{
    return await OpeaChat.ChatQnA.Data.StoreBackupCommand.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddChatQnAServices();

var app = builder.Build();

// Headers, AllowedHosts and the cross-site origin check first; then keys, content type, body size, rate limits.
app.UseHttpSecurity(policy => policy.ContentSecurityPolicyExempt.Add("/scalar"));
app.UseGatewayProtection();
app.MapDefaultEndpoints();
app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference();
}

app.MapChatQnAEndpoints();
app.MapOpenAiEndpoints();
app.MapModelPullEndpoints();
app.MapConversationEndpoints();
app.MapRegenerateEndpoints();
app.MapRunningReplyEndpoints();
app.MapPromptEndpoints();
app.MapDataprepEndpoints();
app.MapAccountEndpoints();

app.Run();
return 0;
