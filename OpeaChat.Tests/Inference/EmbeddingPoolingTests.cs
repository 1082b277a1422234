using LLama.Native;
using OpeaChat.Inference.Embeddings;

namespace OpeaChat.Tests.Inference;

public sealed class EmbeddingPoolingTests
{
    [Theory]
    [InlineData("1", LLamaPoolingType.Mean)]
    [InlineData("2", LLamaPoolingType.CLS)]
    [InlineData("3", LLamaPoolingType.Last)]
    [InlineData("0", LLamaPoolingType.Mean)] // none: no sentence vector, so mean
    [InlineData("4", LLamaPoolingType.Mean)] // rank is a reranker's
    [InlineData(null, LLamaPoolingType.Mean)]
    [InlineData("x", LLamaPoolingType.Mean)]
    public void The_gguf_pooling_type_is_kept_where_it_gives_a_sentence_vector(string? value, LLamaPoolingType expected) =>
        Assert.Equal(expected, EmbeddingPooling.FromValue(value));
}
