using System.Net;
using System.Net.Sockets;

namespace OpeaChat.AppHost;

/// <summary>
/// Checks the fixed development ports before starting: Aspire retries a taken port without end, so a second copy of
/// the app (or anything else on 8888) would otherwise leave the console waiting with no word of why.
/// </summary>
public static class LocalPorts
{
    /// <summary>The ones of <paramref name="wanted"/> that something on this machine already listens on.</summary>
    public static IReadOnlyList<(string Service, int Port)> FindTaken(IEnumerable<(string Service, int Port)> wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var taken = new List<(string Service, int Port)>();
        foreach (var (service, port) in wanted)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                taken.Add((service, port));
            }
            finally
            {
                listener.Stop();
            }
        }

        return taken;
    }

    /// <summary>What to tell the person: which ports, for what, and how to find who holds them.</summary>
    public static string Describe(IReadOnlyList<(string Service, int Port)> taken)
    {
        ArgumentNullException.ThrowIfNull(taken);
        var list = string.Join(", ", taken.Select(entry => $"{entry.Port} ({entry.Service})"));
        return $"OpeaChat cannot start: port{(taken.Count > 1 ? "s" : string.Empty)} {list} already in use on this machine. "
            + "Another OpeaChat (or OPEA ChatQnA) is probably running: stop it first. "
            + $"To see what holds a port: `ss -ltnp 'sport = :{taken[0].Port}'` (Linux) or `netstat -ano | findstr :{taken[0].Port}` (Windows).";
    }
}
