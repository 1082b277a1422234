using LLama.Native;

namespace OpeaChat.Benchmarks.Native;

/// <summary>
/// Keeps llama.cpp's few hundred lines per model load off the console: only its errors are printed. llama.cpp accepts
/// a log callback only before the native library loads; when something in this process loaded it first (a test host),
/// its own routing stays.
/// </summary>
public static class LlamaNativeLog
{
    private static int s_configured;

    public static void ErrorsOnly()
    {
        if (Interlocked.Exchange(ref s_configured, 1) == 1)
        {
            return;
        }

        try
        {
            NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                if (level == LLamaLogLevel.Error && !string.IsNullOrWhiteSpace(message))
                {
                    Console.Error.WriteLine($"llama.cpp: {message.TrimEnd()}");
                }
            });
        }
        catch (InvalidOperationException)
        {
            // Already loaded with another callback.
        }
    }
}
