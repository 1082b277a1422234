using OpeaChat.ChatQnA;
using OpeaChat.ChatQnA.ChatQnA;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Prompts;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddChatQnAServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapChatQnAEndpoints();
app.MapConversationEndpoints();
app.MapPromptEndpoints();

app.Run();
