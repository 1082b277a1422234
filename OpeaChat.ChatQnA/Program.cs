using OpeaChat.ChatQnA;
using OpeaChat.ChatQnA.ChatQnA;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddChatQnAServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapChatQnAEndpoints();

app.Run();
