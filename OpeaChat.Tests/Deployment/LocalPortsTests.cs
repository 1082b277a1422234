using System.Net;
using System.Net.Sockets;
using OpeaChat.AppHost;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.Deployment;

/// <summary>A development run whose fixed ports are taken stops at once and says which, instead of waiting silently.</summary>
[Collection(AppHostRunCollection.Name)]
public sealed class LocalPortsTests
{
    [Fact]
    public void A_port_something_listens_on_is_reported_and_a_free_one_is_not()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        var held = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var free = LoopbackPort.Free();

        var taken = LocalPorts.FindTaken([("chatqna", held), ("web", free)]);

        Assert.Equal([("chatqna", held)], taken);
        var message = LocalPorts.Describe(taken);
        Assert.Contains($"{held} (chatqna)", message, StringComparison.Ordinal);
        Assert.Contains("already in use", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_apphost_exits_with_the_reason_when_8888_is_taken()
    {
        // Held here unless something (a developer's own OpeaChat) already holds it: either way it is taken.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            holder.Bind(new IPEndPoint(IPAddress.Loopback, 8888));
            holder.Listen();
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
        }

        var (exitCode, log) = await AppHostPublisher.RunAsync([]);

        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{log}");
        Assert.Contains("8888 (chatqna) already in use", log, StringComparison.Ordinal);
    }
}
