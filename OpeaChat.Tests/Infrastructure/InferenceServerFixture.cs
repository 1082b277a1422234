namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// One real inference server (the test model, a 4 KiB body limit) shared by the tests of a class.
/// </summary>
public sealed class InferenceServerFixture : IAsyncLifetime
{
    public InferenceHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = InferenceHost.Start(("MaxRequestBodyBytes", "4096"));
        await Host.WaitUntilReadyAsync();
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        return Task.CompletedTask;
    }
}
