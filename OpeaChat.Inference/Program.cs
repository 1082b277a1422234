using OpeaChat.Inference;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Embeddings;
using OpeaChat.Inference.Models;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInferenceServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapChatCompletionsEndpoints();
app.MapEmbeddingsEndpoints();
app.MapModelsEndpoints();

app.Run();
