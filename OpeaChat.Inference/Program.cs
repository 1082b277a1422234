using OpeaChat.Inference;
using OpeaChat.Inference.Chat;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInferenceServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapChatCompletionsEndpoints();

app.Run();
