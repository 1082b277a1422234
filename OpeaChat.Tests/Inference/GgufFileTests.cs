using OpeaChat.Inference.Models;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Inference;

/// <summary>The header reader against the real test model, whose facts are published with it.</summary>
public sealed class GgufFileTests
{
    [Fact]
    public void Reads_the_test_model_facts()
    {
        var gguf = GgufFile.Read(TestModel.Path);

        Assert.Equal("llama", gguf.Architecture);
        Assert.Equal(5, gguf.GetArchitectureInteger("block_count"));
        Assert.Equal(64, gguf.GetArchitectureInteger("embedding_length"));
        Assert.Equal(2048, gguf.GetArchitectureInteger("context_length"));
        var tokens = Assert.IsType<GgufArray>(gguf.Metadata["tokenizer.ggml.tokens"]);
        Assert.Equal(512, tokens.Length);
        Assert.False(gguf.Metadata.ContainsKey("tokenizer.chat_template"));
        Assert.InRange(gguf.ParameterCount, 200_000, 320_000);
    }

    [Fact]
    public void Rejects_a_file_that_is_not_gguf()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "definitely not a model");
        try
        {
            Assert.Throws<InvalidDataException>(() => GgufFile.Read(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
