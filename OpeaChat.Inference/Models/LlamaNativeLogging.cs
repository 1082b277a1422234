using LLama.Native;

namespace OpeaChat.Inference.Models;

/// <summary>
/// Routes llama.cpp's own log lines into <see cref="ILogger"/>. It must be set before any other LLamaSharp call,
/// which is why the composition root calls it first.
/// </summary>
public static partial class LlamaNativeLogging
{
    // A lock, not a flag set first: the hosted services call this concurrently, and one that returned before the
    // callback was set would load llama.cpp, making the setter throw "the library has already loaded" and the
    // service crash at start (seen under load).
    private static readonly Lock s_gate = new();
    private static bool s_configured;

    public static void Configure(ILoggerFactory loggerFactory)
    {
        lock (s_gate)
        {
            if (!s_configured)
            {
                SetCallback(loggerFactory);
                s_configured = true;
            }
        }
    }

    private static void SetCallback(ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("LLama.Native");
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            message = message.TrimEnd();
            if (message.Length == 0)
            {
                return;
            }

            // llama.cpp reports hundreds of informational lines per model load: keep them at Debug.
            var logLevel = level switch
            {
                LLamaLogLevel.Error => LogLevel.Error,
                LLamaLogLevel.Warning => LogLevel.Warning,
                LLamaLogLevel.Info => LogLevel.Debug,
                _ => LogLevel.Trace,
            };
            LogNative(logger, logLevel, message);
        });
    }

    /// <summary>Logs which backend this build ships and what llama.cpp detected (CPU features or CUDA devices).</summary>
    public static void LogSystemInfo(ILogger logger)
    {
        var backend = typeof(LlamaNativeLogging).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == "LlamaBackend")?.Value ?? "Cpu";
        LogBackend(logger, backend, System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info()) ?? "unknown");
    }

    [LoggerMessage(Message = "{Message}")]
    private static partial void LogNative(ILogger logger, LogLevel level, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "llama.cpp backend {Backend}: {SystemInfo}")]
    private static partial void LogBackend(ILogger logger, string backend, string systemInfo);
}
