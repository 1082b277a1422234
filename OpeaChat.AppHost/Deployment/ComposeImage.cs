namespace OpeaChat.AppHost.Deployment;

/// <summary>
/// A service's <c>image</c>, and its <c>build</c> section when the resource is built from a Dockerfile (the image is
/// then tagged <c>opeachat/NAME:${OPEACHAT_IMAGE_TAG}</c>, and the paths are relative to the compose file's folder).
/// </summary>
internal static class ComposeImage
{
    public static async Task AddAsync(
        ContainerResource container, Dictionary<string, object?> service, ComposeVariables variables, ComposeValues values, string outputDirectory, CancellationToken cancellationToken)
    {
        if (container.Annotations.OfType<DockerfileBuildAnnotation>().LastOrDefault() is { } build)
        {
            service["image"] = $"{ComposeGenerator.ProjectName}/{container.Name}:" + variables.Optional(ComposeGenerator.ImageTagVariable, "latest", "Tag of the images docker compose builds (opeachat/inference, …); set a new one per release to keep the previous images for a rollback.");
            var buildNode = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["context"] = RelativePath(outputDirectory, build.ContextPath),
                ["dockerfile"] = RelativePath(build.ContextPath, build.DockerfilePath),
            };
            if (build.Stage is { Length: > 0 } stage)
            {
                buildNode["target"] = stage;
            }

            if (build.BuildArguments.Count > 0)
            {
                var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (name, value) in build.BuildArguments)
                {
                    arguments[name] = await values.MapAsync(value, cancellationToken).ConfigureAwait(false);
                }

                buildNode["args"] = arguments;
            }

            service["build"] = buildNode;
            return;
        }

        if (container.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault() is { } image)
        {
            var name = image.Registry is { Length: > 0 } registry ? $"{registry}/{image.Image}" : image.Image;
            service["image"] = image.SHA256 is { Length: > 0 } digest ? $"{name}@sha256:{digest}" : $"{name}:{image.Tag ?? "latest"}";
            return;
        }

        throw new InvalidOperationException($"The container '{container.Name}' has neither an image nor a Dockerfile.");
    }

    private static string RelativePath(string from, string to)
    {
        var relative = Path.GetRelativePath(from, to).Replace('\\', '/');
        return relative == "." ? "." : relative;
    }
}
