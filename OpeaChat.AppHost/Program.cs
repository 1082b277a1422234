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
    .WithHttpHealthCheck("/health")
    .WithModelStateOnDashboard();

// OPEACHAT_PULL (or Parameters:opeachat-pull): a model inference pulls from Hugging Face at start if the models folder
// lacks it. Without a local model the rest still starts at once (below) and the page shows the pull's progress.
if ((builder.Configuration["OPEACHAT_PULL"] is { Length: > 0 } pullSetting ? pullSetting : builder.Configuration[$"Parameters:{DeploymentParameters.PullName}"])
    is { } pull && !string.IsNullOrWhiteSpace(pull))
{
    inference.WithEnvironment("Inference__Pull", pull.Trim());
}

var chatqna = builder.AddProject<Projects.OpeaChat_ChatQnA>("chatqna")
    .WithReference(inference)
    .WithHttpHealthCheck("/health");

// Inference is never open, not even in development: a key generated for each run (or Parameters:inference-api-key)
// goes to inference and to the gateway, which sends it on every call. A deployment requires one (INFERENCE_API_KEY).
var inferenceApiKey = deployment?.InferenceApiKey ?? builder.AddParameter(DeploymentParameters.InferenceApiKeyName,
    new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: false);
inference.WithEnvironment("Inference__ApiKeys__0", inferenceApiKey);
chatqna.WithEnvironment("ChatQnA__InferenceApiKey", inferenceApiKey);

var web = builder.AddProject<Projects.OpeaChat_Web>("web")
    .WithReference(chatqna)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

// OPEACHAT_ACCOUNTS=true (or Parameters:opeachat-accounts): a development run with accounts, as a team's server has
// them (docs/security.md). The web signs people in and speaks for them with a forwarder key generated for the run.
// Off by default: the loopback development run is local mode, with nobody to sign in.
if (deployment is null && DevelopmentAccounts.Requested(builder.Configuration))
{
    DevelopmentAccounts.Apply(builder, chatqna, web);
}

builder.SuperviseInDevelopment(inference, chatqna, web);

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

(string Service, int Port)[] developmentPorts = [("inference", 9009), ("chatqna", 8888), ("web", 5173)];
if (fixedPorts || deployment is not null)
{
    inference.WithEndpoint("http", endpoint => endpoint.Port = developmentPorts[0].Port);
    chatqna.WithEndpoint("http", endpoint => endpoint.Port = developmentPorts[1].Port);
    web.WithEndpoint("http", endpoint => endpoint.Port = developmentPorts[2].Port);
}

if (deployment is not null)
{
    DeploymentWiring.Apply(builder, deployment, repositoryRoot, inference, chatqna, web);
}

var app = builder.Build();

// Only a real run gets here (the test builder stops at Build): say so at once if the fixed ports are taken.
if (fixedPorts && !builder.ExecutionContext.IsPublishMode && LocalPorts.FindTaken(developmentPorts) is { Count: > 0 } taken)
{
    await Console.Error.WriteLineAsync(LocalPorts.Describe(taken));
    return 1;
}

await app.RunAsync();
return 0;
