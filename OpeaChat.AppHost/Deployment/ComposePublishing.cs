using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace OpeaChat.AppHost.Deployment;

/// <summary>
/// The <c>publish-compose</c> step of Aspire's publishing pipeline: writes docker-compose.yaml and .env.example from the
/// app model. <c>--publisher compose</c> runs this step alone:
/// <code>dotnet run --project OpeaChat.AppHost -- --publisher compose --output-path deploy/</code>
/// </summary>
internal static class ComposePublishing
{
    public const string PublisherName = "compose";
    public const string StepName = "publish-compose";

    public static IDistributedApplicationBuilder AddComposePublishing(this IDistributedApplicationBuilder builder)
    {
        // `--publisher compose` puts the AppHost in publish mode; without a step named, Aspire would run every step of
        // its pipeline (image builds and deployments included), so name ours, as Aspire itself does for `--publisher manifest`.
        if (string.Equals(builder.Configuration["Publishing:Publisher"], PublisherName, StringComparison.OrdinalIgnoreCase)
            && string.IsNullOrEmpty(builder.Configuration["Pipeline:Step"]))
        {
            builder.Configuration["Pipeline:Step"] = StepName;
        }

        var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        var configuration = builder.Configuration;
        builder.Pipeline.AddStep(StepName, context => PublishAsync(context, configuration, repositoryRoot), requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    private static async Task PublishAsync(PipelineStepContext context, IConfiguration configuration, string repositoryRoot)
    {
        // A relative output path is relative to the repository root, however the AppHost was started (`dotnet run`
        // starts it in OpeaChat.AppHost/), so `--output-path deploy/` always means the git-ignored deploy/ folder.
        var outputDirectory = Path.TrimEndingDirectorySeparator(
            Path.GetFullPath(configuration["Pipeline:OutputPath"] is { Length: > 0 } output ? output : "deploy", repositoryRoot));
        var shownPath = Path.GetRelativePath(repositoryRoot, outputDirectory) is var relative && !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative)
            ? relative.Replace('\\', '/') + "/"
            : outputDirectory;
        var command = $"dotnet run --project OpeaChat.AppHost -- --publisher {PublisherName} --output-path {shownPath}";

        var document = await new ComposeGenerator(context.Model, context.ExecutionContext, outputDirectory)
            .GenerateAsync(context.CancellationToken).ConfigureAwait(false);
        var written = await ComposeWriter.WriteAsync(document, outputDirectory, command, context.CancellationToken).ConfigureAwait(false);
        foreach (var path in written)
        {
            context.Logger.LogInformation("Wrote {Path}", path);
        }
    }
}
