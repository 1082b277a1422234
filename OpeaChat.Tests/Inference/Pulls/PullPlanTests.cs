using OpeaChat.Inference.Models.Pulls;

namespace OpeaChat.Tests.Inference.Pulls;

public sealed class PullPlanTests
{
    private static readonly HubFileEntry[] Bartowski =
    [
        new("Llama-3.2-3B-Instruct-IQ4_XS.gguf", 100, null),
        new("Llama-3.2-3B-Instruct-Q4_K_L.gguf", 110, null),
        new("Llama-3.2-3B-Instruct-Q4_K_M.gguf", 120, "ab"),
        new("Llama-3.2-3B-Instruct-Q8_0.gguf", 200, null),
        new("Llama-3.2-3B-Instruct-f16.gguf", 400, null),
        new("mmproj-Llama-3.2-3B-Instruct-f16.gguf", 10, null),
        new("README.md", 5, null),
    ];

    private static ModelReference Parse(string text)
    {
        Assert.True(ModelReference.TryParse(text, out var reference, out var problem), problem);
        return reference;
    }

    [Theory]
    [InlineData("org/repo", "Llama-3.2-3B-Instruct-Q4_K_M.gguf")]
    [InlineData("org/repo:q8_0", "Llama-3.2-3B-Instruct-Q8_0.gguf")]
    [InlineData("org/repo:Q4_K_L", "Llama-3.2-3B-Instruct-Q4_K_L.gguf")]
    [InlineData("org/repo:F16", "Llama-3.2-3B-Instruct-f16.gguf")]
    [InlineData("org/repo:llama-3.2-3b-instruct-q8_0.gguf", "Llama-3.2-3B-Instruct-Q8_0.gguf")]
    public void Picks_the_file_of_a_quantisation_case_insensitively(string reference, string expected)
    {
        var plan = PullPlan.Resolve(Parse(reference), Bartowski);
        Assert.Equal(expected, Assert.Single(plan.Files).RemotePath);
        Assert.Equal(Path.GetFileNameWithoutExtension(expected), plan.Id);
    }

    [Fact]
    public void A_missing_quantisation_lists_those_there_are()
    {
        var error = Assert.Throws<ModelPullException>(() => PullPlan.Resolve(Parse("org/repo:Q5_K_M"), Bartowski));
        Assert.Equal(ModelPullException.QuantizationNotFound, error.Code);
        Assert.Equal(404, error.StatusCode);
        Assert.Equal(["IQ4_XS", "Q4_K_L", "Q4_K_M", "Q8_0", "F16"], error.Available);
    }

    [Fact]
    public void The_default_quantisation_falls_back_to_the_only_model_of_a_repository()
    {
        var plan = PullPlan.Resolve(Parse("ggml-org/tiny-llamas"), [new("stories260K.gguf", 1, null), new("README.md", 1, null)]);
        Assert.Equal("stories260K", plan.Id);
        Assert.Equal("hf.co/ggml-org/tiny-llamas:stories260K.gguf", plan.Reference.ToString());
        Assert.Throws<ModelPullException>(() => PullPlan.Resolve(Parse("ggml-org/tiny-llamas:Q4_K_M"), [new("stories260K.gguf", 1, null)]));
    }

    [Fact]
    public void A_split_model_takes_every_part_from_its_folder()
    {
        HubFileEntry[] entries =
        [
            new("BF16/Qwen3-BF16-00002-of-00002.gguf", 20, "b"),
            new("BF16/Qwen3-BF16-00001-of-00002.gguf", 10, "a"),
            new("Qwen3-Q4_K_M.gguf", 5, "c"),
        ];
        var plan = PullPlan.Resolve(Parse("unsloth/Qwen3-GGUF:BF16"), entries);
        Assert.Equal("Qwen3-BF16-00001-of-00002", plan.Id);
        Assert.Equal(["Qwen3-BF16-00001-of-00002.gguf", "Qwen3-BF16-00002-of-00002.gguf"], plan.Files.Select(file => file.LocalName));
        Assert.Equal(30, plan.TotalBytes);
    }

    [Fact]
    public void A_split_model_with_a_part_missing_is_refused()
    {
        HubFileEntry[] entries = [new("M-Q8_0-00001-of-00003.gguf", 1, null), new("M-Q8_0-00003-of-00003.gguf", 1, null)];
        var error = Assert.Throws<ModelPullException>(() => PullPlan.Resolve(Parse("o/r:Q8_0"), entries));
        Assert.Contains("M-Q8_0-00002-of-00003.gguf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repository_without_gguf_files_is_not_found()
    {
        var error = Assert.Throws<ModelPullException>(() => PullPlan.Resolve(Parse("meta-llama/Llama-3.2-3B"), [new("model.safetensors", 1, null)]));
        Assert.Equal(ModelPullException.NotFound, error.Code);
    }

    [Theory]
    [InlineData("\"270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d\"")]
    [InlineData("W/\"270CBA1BD5109F42D03350F60406024560464DB173C0E387D91F0426D3BD256D\"")]
    [InlineData("270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d")]
    public void Reads_the_hubs_etag_as_a_sha256(string etag) =>
        Assert.Equal("270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d", HuggingFaceHub.NormalizeSha(etag));

    [Fact]
    public void A_git_oid_is_not_a_sha256() => Assert.Null(HuggingFaceHub.NormalizeSha("W/\"0123456789abcdef0123456789abcdef01234567\""));
}
