using System.Globalization;

namespace OpeaChat.AppHost.Deployment;

/// <summary>Container ports, and the ones published on the host (endpoints marked external), each behind a variable.</summary>
internal static class ComposePorts
{
    /// <summary><c>${NAME_PORT:-host}:container</c> for each external endpoint of the resource.</summary>
    public static List<object?> Published(IResource resource, ComposeVariables variables)
    {
        var ports = new List<object?>();
        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>().Where(endpoint => endpoint.IsExternal))
        {
            var target = Target(resource, endpoint);
            var variable = ComposeVariables.NameOf(endpoint.Name == "http" ? $"{resource.Name}-port" : $"{resource.Name}-{endpoint.Name}-port");
            var hostPort = variables.Optional(variable, (endpoint.Port ?? target).ToString(CultureInfo.InvariantCulture), $"Host port of {resource.Name} ({endpoint.Name}).");
            ports.Add($"{hostPort}:{target.ToString(CultureInfo.InvariantCulture)}");
        }

        return ports;
    }

    /// <summary>The port the endpoint listens on inside the container.</summary>
    public static int Target(IResource resource, EndpointAnnotation endpoint) =>
        endpoint.TargetPort ?? throw new InvalidOperationException($"The endpoint '{endpoint.Name}' of '{resource.Name}' has no container port.");
}
