using OpeaChat.Inference.Models;

namespace OpeaChat.Tests.Inference;

/// <summary>The one place that turns the <c>Inference:*</c> options into llama.cpp's parameters, for the service and the benchmark (see InProcessSettingsTests).</summary>
public sealed class ModelParametersTests
{
    [Fact]
    public void The_options_become_the_model_and_context_parameters()
    {
        var options = new InferenceOptions
        {
            ContextSize = 4096, BatchSize = 256, Threads = 3, BatchThreads = 5, GpuLayerCount = -1,
            MaxParallelSequences = 6, PrefixCacheSlots = 2, FlashAttention = true,
        };

        var parameters = ModelParameters.Create("/models/m.gguf", options);

        Assert.Equal("/models/m.gguf", parameters.ModelPath);
        Assert.Equal(4096u, parameters.ContextSize);
        Assert.Equal(256u, parameters.BatchSize);
        Assert.Equal(3, parameters.Threads);
        Assert.Equal(5, parameters.BatchThreads);
        Assert.Equal(int.MaxValue, parameters.GpuLayerCount); // -1: every layer
        Assert.Equal(8u, parameters.SeqMax); // running sequences and cached prefixes share one KV pool
        Assert.True(parameters.KVUnified);
        Assert.True(parameters.FlashAttention);
    }

    [Fact]
    public void Zero_context_and_no_flash_attention_are_left_to_the_model_and_llama_cpp()
    {
        var parameters = ModelParameters.Create("m.gguf", new InferenceOptions { ContextSize = 0, FlashAttention = false });

        Assert.Null(parameters.ContextSize);
        Assert.Null(parameters.FlashAttention);
    }
}
