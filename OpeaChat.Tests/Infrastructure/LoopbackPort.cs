using System.Net;
using System.Net.Sockets;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>Ports on loopback for the servers a test starts, or for a service that is meant not to be there.</summary>
internal static class LoopbackPort
{
    /// <summary>A port that nothing listens on at this moment (the system picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
