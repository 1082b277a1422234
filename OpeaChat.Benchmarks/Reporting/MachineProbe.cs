using System.Runtime.InteropServices;
using OpeaChat.Benchmarks.Load;

namespace OpeaChat.Benchmarks.Reporting;

/// <summary>What the results say about the machine: CPU, cores, OS, runtime and how busy it was.</summary>
public static class MachineProbe
{
    public static MachineInfo Describe(string? loadAverageAtStart) => new(
        CpuModel(), Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
        loadAverageAtStart, LoadAverage());

    /// <summary>The "model name" line of /proc/cpuinfo, or the architecture where there is none.</summary>
    public static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal));
            if (line?.Split(':', 2) is [_, var name])
            {
                return name.Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg, or null off Linux.</summary>
    public static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
