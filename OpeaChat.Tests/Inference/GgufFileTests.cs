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
    public void Array_items_are_read_only_when_asked_and_keep_the_file_order()
    {
        var header = GgufFile.Read(TestModel.Path);
        Assert.Null(Assert.IsType<GgufArray>(header.Metadata["tokenizer.ggml.tokens"]).Items);

        var whole = GgufFile.Read(TestModel.Path, readArrayItems: true);
        var tokens = Assert.IsType<GgufArray>(whole.Metadata["tokenizer.ggml.tokens"]);
        Assert.Equal(512, tokens.Items!.Count);
        Assert.All(tokens.Items, item => Assert.IsType<string>(item));
        Assert.Equal(header.Entries.Select(entry => entry.Key), whole.Entries.Select(entry => entry.Key));
        Assert.Equal(GgufType.String, whole.Entries.Single(entry => entry.Key == "general.architecture").Value.Type);
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
