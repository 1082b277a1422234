using OpeaChat.Benchmarks.Load.InProcess;
using OpeaChat.Inference.Models;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>The in-process engine's settings reach the service's own parameter builder with the benchmark's meanings.</summary>
public sealed class InProcessSettingsTests
{
    [Fact]
    public void The_benchmarks_in_process_engine_gets_the_services_parameters_on_the_cpu()
    {
        var settings = new InProcessSettings { Threads = 2, BatchThreads = 0, ContextSize = 2048, MaxParallelSequences = 4, PrefixCacheSlots = 3, BatchSize = 128 };

        var parameters = ModelParameters.Create("m.gguf", settings.ToInferenceOptions());

        Assert.Equal(2048u, parameters.ContextSize);
        Assert.Equal(128u, parameters.BatchSize);
        Assert.Equal(2, parameters.Threads);
        Assert.Equal(2, parameters.BatchThreads); // 0: as Threads, as the benchmark's --batch-threads says
        Assert.Equal(0, parameters.GpuLayerCount);
        Assert.Equal(7u, parameters.SeqMax);
        Assert.True(parameters.FlashAttention);
    }
}
