namespace OpeaChat.Tests.Infrastructure;

// Unit tests (no process, no port, no model load) run in parallel, each class a collection of its own. Tests that
// start servers or processes are in collections marked DisableParallelization: xunit runs those after the parallel
// ones, one collection at a time, so that
// - no two WebApplicationFactory or Aspire hosts are built at the same moment: both are captured through one
//   process-wide DiagnosticListener, which can hand one factory another's host (see WebHostStart);
// - no two of them load the model or compete for the two cores at once, which would stretch their timeouts;
// - a test that holds a fixed port (8888) never meets an app that wants it.
// AppCollection, NoModelAppCollection and LongContextAppCollection (whole Aspire apps) are marked the same way.

/// <summary>
/// Tests that start one of the services in this process (<see cref="InferenceHost"/>, <see cref="GatewayHost"/>,
/// <see cref="WebFrontendHost"/>) or load the model through LLamaSharp.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InProcessHostCollection
{
    public const string Name = "In-process hosts";
}

/// <summary>
/// Tests that run the AppHost: as a child process (the compose publisher, a development run that must find its
/// fixed port 8888 taken) or in this process through Aspire's testing builder.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AppHostRunCollection
{
    public const string Name = "AppHost runs";
}

/// <summary>
/// Tests that measure this process's managed heap (the retrieval benchmark's loaded-index bytes): another test
/// allocating or collecting at the same moment would change the difference, even make it negative, so they run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    public const string Name = "Heap measurements";
}
