using OpeaChat.Inference;
using OpeaChat.Inference.Chat;
using OpeaChat.Inference.Embeddings;
using OpeaChat.Inference.Models;
using OpeaChat.Inference.Models.Pulls;
using OpeaChat.Inference.Reranking;
using OpeaChat.Inference.Tokenization;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInferenceServices();

var app = builder.Build();

app.UseInferenceSecurity();
app.MapDefaultEndpoints();
app.MapChatCompletionsEndpoints();
app.MapEmbeddingsEndpoints();
app.MapRerankEndpoints();
app.MapTokenizeEndpoints();
app.MapModelsEndpoints();
app.MapModelPullsEndpoints();

app.Run();
