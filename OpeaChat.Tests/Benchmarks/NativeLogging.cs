using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.Inference.Models;

namespace OpeaChat.Tests.Benchmarks;

/// <summary>
/// llama.cpp takes a log callback only before its library loads. Unit tests run in parallel, and any of them may be
/// the first to touch LLamaSharp, so the inference service's one-time set-up runs as this assembly loads, before any
/// test: an in-process inference host started later finds it done, and it never throws.
/// </summary>
internal static class NativeLogging
{
#pragma warning disable CA2255 // The test assembly's one-time set-up, which must precede every LLamaSharp call.
    [ModuleInitializer]
    internal static void ConfigureBeforeAnyTest() => LlamaNativeLogging.Configure(NullLoggerFactory.Instance);
#pragma warning restore CA2255
}
