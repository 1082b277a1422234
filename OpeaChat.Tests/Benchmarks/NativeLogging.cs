using Microsoft.Extensions.Logging.Abstractions;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>
/// llama.cpp takes a log callback only before its library loads, and the inference service sets its own when it
/// starts in this test process. Tests that use LLamaSharp directly call this first, so whichever runs first, the
/// service's one-time set-up has happened and never throws later.
/// </summary>
internal static class NativeLogging
{
    public static void EnsureConfigured() => OpeaChat.Inference.Models.LlamaNativeLogging.Configure(NullLoggerFactory.Instance);
}
