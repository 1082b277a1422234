using System.Text.RegularExpressions;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Deployment;

/// <summary>
/// The service Dockerfiles, read as text (no Docker engine runs here, so the images themselves are not built by the tests).
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Dockerfiles =>
    [
        "OpeaChat.Inference/Dockerfile",
        "OpeaChat.Inference/Dockerfile.cpu",
        "OpeaChat.ChatQnA/Dockerfile",
        "OpeaChat.Web/Dockerfile",
    ];

    [Fact]
    public void The_gpu_image_builds_the_cuda12_backend_on_a_cuda12_runtime_with_what_llama_cpp_needs()
    {
        var dockerfile = Read("OpeaChat.Inference/Dockerfile");
        var runs = Instructions(dockerfile, "RUN");
        Assert.Contains(runs, run => run.Contains("dotnet restore", StringComparison.Ordinal) && run.Contains("-p:LlamaBackend=Cuda12", StringComparison.Ordinal));
        Assert.Contains(runs, run => run.Contains("dotnet publish", StringComparison.Ordinal) && run.Contains("-p:LlamaBackend=Cuda12", StringComparison.Ordinal));
        Assert.Matches(CudaBaseImage(), dockerfile);
        Assert.Equal("${CUDA_BASE_IMAGE}", FinalStage(dockerfile).From);
        Assert.Contains(runs, run => run.Contains("libgomp1", StringComparison.Ordinal) && run.Contains("libcublas-", StringComparison.Ordinal));
        // LLamaSharp picks its CUDA library only when /usr/local/cuda/version.json names a cuBLAS version.
        Assert.Contains(runs, run => run.Contains("/usr/local/cuda/version.json", StringComparison.Ordinal) && run.Contains("libcublas", StringComparison.Ordinal));
        Assert.Contains("COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet", dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cpu_image_builds_the_cpu_backend_with_what_llama_cpp_needs()
    {
        var dockerfile = Read("OpeaChat.Inference/Dockerfile.cpu");
        var runs = Instructions(dockerfile, "RUN");
        Assert.Contains(runs, run => run.Contains("dotnet publish", StringComparison.Ordinal) && run.Contains("-p:LlamaBackend=Cpu", StringComparison.Ordinal));
        Assert.DoesNotContain("Cuda12", dockerfile, StringComparison.Ordinal);
        Assert.Contains(runs, run => run.Contains("libgomp1", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Each_image_is_multi_stage_and_runs_as_an_unprivileged_user(string path)
    {
        var dockerfile = Read(path);
        Assert.True(Instructions(dockerfile, "FROM").Count >= 2, $"{path} builds in one stage.");
        var final = FinalStage(dockerfile);
        Assert.DoesNotContain("/sdk", final.From, StringComparison.Ordinal);
        var user = Assert.Single(Instructions(final.Text, "USER"));
        Assert.DoesNotMatch(RootUser(), user);
        Assert.Contains("COPY --from=build /app ./", final.Text, StringComparison.Ordinal);
        Assert.Contains(Instructions(final.Text, "EXPOSE"), expose => expose == "8080");
        Assert.Single(Instructions(final.Text, "ENTRYPOINT"));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Each_image_installs_curl_for_the_compose_health_check(string path)
    {
        var final = FinalStage(Read(path));
        Assert.Contains(Instructions(final.Text, "RUN"), run => CurlInstall().IsMatch(run));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Everything_a_dockerfile_copies_exists_and_is_not_excluded_by_dockerignore(string path)
    {
        var ignored = IgnoredTopLevelFolders();
        foreach (var copy in Instructions(Read(path), "COPY").Where(copy => !copy.StartsWith("--from=", StringComparison.Ordinal)))
        {
            var sources = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1];
            foreach (var source in sources)
            {
                var full = Path.Combine(RepositoryPaths.Root, source);
                Assert.True(File.Exists(full) || Directory.Exists(full), $"{path} copies {source}, which does not exist.");
                Assert.DoesNotContain(source.Split('/')[0], ignored);
            }
        }
    }

    [Fact]
    public void Dockerignore_keeps_models_secrets_and_build_output_out_of_the_build_context()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToList();
        foreach (var required in new[] { "models/", "**/*.gguf", ".env", "**/.env", "deploy/", "**/bin/", "**/obj/", ".git/" })
        {
            Assert.Contains(required, lines);
        }
    }

    private static string Read(string path) => File.ReadAllText(Path.Combine(RepositoryPaths.Root, path));

    private static HashSet<string> IgnoredTopLevelFolders() =>
        File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#') && !line.StartsWith("**", StringComparison.Ordinal))
            .Select(line => line.TrimEnd('/'))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The arguments of each instruction of a kind, with line continuations joined and comments dropped.</summary>
    private static List<string> Instructions(string dockerfile, string keyword)
    {
        var instructions = new List<string>();
        var current = string.Empty;
        foreach (var raw in dockerfile.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#'))
            {
                continue;
            }

            current = current.Length == 0 ? line : current + " " + line;
            if (current.EndsWith('\\'))
            {
                current = current[..^1].TrimEnd();
                continue;
            }

            if (current.StartsWith(keyword + " ", StringComparison.Ordinal))
            {
                instructions.Add(current[(keyword.Length + 1)..].Trim());
            }

            current = string.Empty;
        }

        return instructions;
    }

    private static (string From, string Text) FinalStage(string dockerfile)
    {
        var index = dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal);
        var text = dockerfile[(index + 1)..];
        var from = Instructions(text, "FROM").Single().Split(' ')[0];
        return (from, text);
    }

    [GeneratedRegex(@"ARG CUDA_BASE_IMAGE=nvidia/cuda:12\.\d+\.\d+-(base|runtime)-ubuntu24\.04")]
    private static partial Regex CudaBaseImage();

    [GeneratedRegex(@"^(root|0)(:.*)?$")]
    private static partial Regex RootUser();

    [GeneratedRegex(@"apt-get install [^&]*\bcurl\b")]
    private static partial Regex CurlInstall();
}
