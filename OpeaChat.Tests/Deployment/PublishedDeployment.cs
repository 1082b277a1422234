using System.Diagnostics;
using System.Reflection;
using OpeaChat.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace OpeaChat.Tests.Deployment;

/// <summary>
/// Runs the AppHost's compose publisher as a person would (<c>OpeaChat.AppHost -- --publisher compose --output-path DIR</c>,
/// from the AppHost's build output, as a child process with a bounded time) into a temporary folder, then reads what it
/// wrote back as data.
/// </summary>
public abstract class PublishedDeployment : IAsyncLifetime
{
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(90);

    private YamlMappingNode? _compose;

    public string OutputDirectory { get; } = Directory.CreateTempSubdirectory("opeachat-deploy-").FullName;

    /// <summary>The AppHost's arguments after <c>--output-path</c> (parameters).</summary>
    protected abstract IReadOnlyList<string> Parameters { get; }

    public string ComposeText { get; private set; } = string.Empty;

    public string EnvExampleText { get; private set; } = string.Empty;

    /// <summary>Everything the publisher printed, to tell why a check failed.</summary>
    public string Log { get; private set; } = string.Empty;

    public YamlMappingNode Compose => _compose ?? throw new InvalidOperationException("Nothing was published.");

    public YamlMappingNode Services => Compose.Map("services");

    public YamlMappingNode Service(string name) => Services.Map(name);

    public async Task InitializeAsync()
    {
        var (exitCode, log) = await AppHostPublisher.RunAsync(["--publisher", "compose", "--output-path", OutputDirectory, .. Parameters]);
        Log = log;
        Assert.True(exitCode == 0, $"The compose publisher exited with {exitCode}:\n{log}");
        ComposeText = await File.ReadAllTextAsync(Path.Combine(OutputDirectory, "docker-compose.yaml"));
        EnvExampleText = await File.ReadAllTextAsync(Path.Combine(OutputDirectory, ".env.example"));
        var stream = new YamlStream();
        stream.Load(new StringReader(ComposeText));
        _compose = (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(OutputDirectory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>The AppHost's build output, run with <c>dotnet</c> and a time limit.</summary>
public static class AppHostPublisher
{
    public static string AppHostAssembly { get; } = Locate();

    public static async Task<(int ExitCode, string Log)> RunAsync(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        start.ArgumentList.Add(AppHostAssembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Parameters come from the arguments only, never from whoever runs the tests: no Parameters__* variables, and
        // the Production environment, in which the AppHost does not read the developer's user secrets.
        foreach (var name in start.Environment.Keys.Where(key => key.StartsWith("Parameters__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(PublishedDeployment.PublishTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The compose publisher did not finish within {PublishedDeployment.PublishTimeout.TotalSeconds} s.");
        }

        return (process.ExitCode, await output + await error);
    }

    /// <summary>OpeaChat.AppHost.dll of the same configuration as these tests (the test project builds it).</summary>
    private static string Locate()
    {
        var configuration = typeof(AppHostPublisher).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var path = Path.Combine(RepositoryPaths.Root, "OpeaChat.AppHost", "bin", configuration, framework, "OpeaChat.AppHost.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The AppHost is not built at {path}.", path);
    }
}

/// <summary>Reading compose YAML as data.</summary>
public static class YamlNodes
{
    public static YamlMappingNode Map(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is YamlMappingNode map
            ? map
            : throw new Xunit.Sdk.XunitException($"No mapping '{key}' in:\n{Dump(node)}");

    public static YamlSequenceNode Sequence(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is YamlSequenceNode sequence
            ? sequence
            : throw new Xunit.Sdk.XunitException($"No sequence '{key}' in:\n{Dump(node)}");

    public static string Scalar(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is YamlScalarNode { Value: { } value }
            ? value
            : throw new Xunit.Sdk.XunitException($"No scalar '{key}' in:\n{Dump(node)}");

    public static bool Has(this YamlMappingNode node, string key) => node.Children.ContainsKey(new YamlScalarNode(key));

    public static IReadOnlyList<string> Keys(this YamlMappingNode node) =>
        [.. node.Children.Keys.Cast<YamlScalarNode>().Select(key => key.Value!)];

    public static IReadOnlyList<string> Scalars(this YamlSequenceNode node) =>
        [.. node.Children.Cast<YamlScalarNode>().Select(item => item.Value!)];

    private static string Dump(YamlNode node)
    {
        var stream = new YamlStream(new YamlDocument(node));
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }
}
