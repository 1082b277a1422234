using OpeaChat.Inference.Models.Pulls;

namespace OpeaChat.Tests.Inference.Pulls;

public sealed class ModelReferenceTests
{
    [Theory]
    [InlineData("hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M", "bartowski", "Llama-3.2-3B-Instruct-GGUF", "Q4_K_M", false)]
    [InlineData("huggingface.co/bartowski/Llama-3.2-3B-Instruct-GGUF:q8_0", "bartowski", "Llama-3.2-3B-Instruct-GGUF", "q8_0", false)]
    [InlineData("https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF:qwen2.5-1.5b-instruct-q4_k_m.gguf", "Qwen", "Qwen2.5-1.5B-Instruct-GGUF", "qwen2.5-1.5b-instruct-q4_k_m.gguf", false)]
    [InlineData("unsloth/Qwen3-30B-A3B-GGUF:BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf", "unsloth", "Qwen3-30B-A3B-GGUF", "BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf", false)]
    [InlineData("  ggml-org/tiny-llamas  ", "ggml-org", "tiny-llamas", ModelReference.DefaultQuantization, true)]
    [InlineData("HF.CO/org/repo", "org", "repo", ModelReference.DefaultQuantization, true)]
    public void Parses_the_forms_llama_server_takes(string text, string organization, string repository, string tag, bool defaulted)
    {
        Assert.True(ModelReference.TryParse(text, out var reference, out var problem), problem);
        Assert.Equal(organization, reference.Organization);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(defaulted, reference.TagIsDefault);
        Assert.Equal($"hf.co/{organization}/{repository}:{tag}", reference.ToString());
    }

    [Fact]
    public void A_tag_ending_in_gguf_names_a_file()
    {
        Assert.True(ModelReference.TryParse("org/repo:Model-Q4_K_M.GGUF", out var file, out _));
        Assert.True(file.TagIsFile);
        Assert.True(ModelReference.TryParse("org/repo:Q4_K_M", out var quant, out _));
        Assert.False(quant.TagIsFile);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("llama3")]
    [InlineData("hf.co/only-org")]
    [InlineData("org/repo/extra")]
    [InlineData("org/../repo")]
    [InlineData("-org/repo")]
    [InlineData("org/repo:")]
    [InlineData("org/repo:Q4 K M")]
    [InlineData("org/repo:../../etc/passwd.gguf")]
    [InlineData("org/repo:sub/../../x.gguf")]
    [InlineData("hf.co/org/re po:Q4_K_M")]
    public void Refuses_what_is_not_a_reference(string? text)
    {
        Assert.False(ModelReference.TryParse(text, out var reference, out var problem));
        Assert.Null(reference);
        Assert.False(string.IsNullOrWhiteSpace(problem));
    }
}
