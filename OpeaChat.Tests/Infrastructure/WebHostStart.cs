namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// Starts a WebApplicationFactory server, trying again when its host capture (a process-wide DiagnosticListener)
/// picked up another host being built at the same moment and found it already started: a rare race of the test
/// framework, not of the code under test.
/// </summary>
public static class WebHostStart
{
    public static T WithRetry<T>(Func<T> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return start();
            }
            catch (InvalidOperationException exception) when (attempt < 4 && exception.Message.Contains("IServerAddressesFeature", StringComparison.Ordinal))
            {
                Thread.Sleep(200 * attempt);
            }
        }
    }
}
