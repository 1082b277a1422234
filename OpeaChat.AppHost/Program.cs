using Microsoft.Extensions.Configuration;
using OpeaChat.AppHost;
using OpeaChat.AppHost.Deployment;

var builder = DistributedApplication.CreateBuilder(args);

// `-- --publisher compose --output-path deploy/` writes docker-compose.yaml from this app model (docs/deployment.md).
builder.AddComposePublishing();

var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
var model = ModelSelection.Resolve(builder.Configuration, repositoryRoot);

// Fixed ports let REST users rely on OPEA's 8888; tests turn them off to run beside a developer's app.
var fixedPorts = builder.Configuration.GetValue("OpeaChat:FixedPorts", true);

// The deployment's parameters exist only when publishing, so a development run is exactly what it was.
var deployment = builder.ExecutionContext.IsPublishMode ? DeploymentParameters.Add(builder, model) : null;

var inference = builder.AddProject<Projects.OpeaChat_Inference>("inference")
    .WithEnvironment("Inference__ModelsDirectory", model.ModelsDirectory)
    // A path that does not exist is passed on as given, so inference's health says exactly which file is missing.
    .WithEnvironment("Inference__ModelPath", model.ModelPath ?? model.RequestedPath ?? string.Empty)
    .WithHttpHealthCheck("/health");

var chatqna = builder.AddProject<Projects.OpeaChat_ChatQnA>("chatqna")
    .WithReference(inference)
    .WithHttpHealthCheck("/health");

var web = builder.AddProject<Projects.OpeaChat_Web>("web")
    .WithReference(chatqna)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

// A deployment always waits for health: its model is on the server, not on the machine that publishes.
if (model.Found || deployment is not null)
{
    chatqna.WaitFor(inference);
    web.WaitFor(chatqna);
}
else
{
    // Without a model inference never becomes healthy; start the rest anyway so the chat page can say what to do.
    chatqna.WaitForStart(inference);
    web.WaitForStart(chatqna);
}

if (fixedPorts || deployment is not null)
{
    inference.WithEndpoint("http", endpoint => endpoint.Port = 9009);
    chatqna.WithEndpoint("http", endpoint => endpoint.Port = 8888);
    web.WithEndpoint("http", endpoint => endpoint.Port = 5173);
}

if (deployment is not null)
{
    DeploymentWiring.Apply(builder, deployment, repositoryRoot, inference, chatqna, web);
}

builder.Build().Run();
