using System.Net.Http.Json;
using OpeaChat.Tests.Infrastructure;
using static OpeaChat.Tests.Infrastructure.OpenAiCalls;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>Two inference replicas behind one gateway, found by service discovery, chosen by their queues.</summary>
[Collection(InProcessHostCollection.Name)]
public sealed class InferenceBalancingTests : IDisposable
{
    private readonly DirectoryInfo _models = Directory.CreateTempSubdirectory("opeachat-replicas-");

    private InferenceHost StartReplica(string name)
    {
        var path = Path.Combine(_models.FullName, name + ".gguf");
        File.Copy(TestModel.Path, path, overwrite: true);
        return InferenceHost.Start(("ModelPath", path), ("MaxParallelSequences", "1"), ("ContextSize", "32768"));
    }

    private static GatewayHost StartGateway(InferenceHost first, InferenceHost second) =>
        GatewayHost.Start(new Uri("http://inference"),
            ("services:inference:http:0", first.BaseAddress.ToString()),
            ("services:inference:http:1", second.BaseAddress.ToString()),
            ("InferenceBalancing", "LeastQueue"),
            ("InferenceLoadRefresh", "00:00:00.100"));

    [Fact]
    public async Task Requests_go_to_the_replica_with_the_shorter_queue()
    {
        using var busy = StartReplica("replicaA");
        using var idle = StartReplica("replicaB");
        await Task.WhenAll(busy.WaitUntilReadyAsync(), idle.WaitUntilReadyAsync());
        using var gateway = StartGateway(busy, idle);

        // Keep A busy with two long replies sent to it directly: one running, one queued.
        var longReply = new { messages = User("Once upon a time"), max_tokens = 30000, ignore_eos = true, stream = true };
        using var running = await busy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(longReply) }, HttpCompletionOption.ResponseHeadersRead);
        using var queued = await busy.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(longReply) }, HttpCompletionOption.ResponseHeadersRead);
        await WaitForModelAsync(busy.Client, "replicaA", model => model.GetProperty("queued_requests").GetInt32() == 1, TimeSpan.FromSeconds(10));
        await Task.Delay(300); // let the gateway's load figures (refreshed every 100 ms) see it

        var answers = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            var reply = await ChatAsync(gateway.Client, new { messages = User("Once"), max_tokens = 3 });
            Assert.Equal(200, reply.Status);
            answers.Add(reply.Body.GetProperty("model").GetString());
        }

        Assert.All(answers, model => Assert.Equal("replicaB", model));
    }

    [Fact]
    public async Task A_burst_is_spread_over_idle_replicas()
    {
        using var first = StartReplica("replicaA");
        using var second = StartReplica("replicaB");
        await Task.WhenAll(first.WaitUntilReadyAsync(), second.WaitUntilReadyAsync());
        using var gateway = StartGateway(first, second);

        var longReply = new { messages = User("Once upon a time"), max_tokens = 30000, ignore_eos = true, stream = true };
        var streams = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                streams.Add(await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(longReply) }, HttpCompletionOption.ResponseHeadersRead));
            }

            var a = await GetModelAsync(first.Client, "replicaA");
            var b = await GetModelAsync(second.Client, "replicaB");
            Assert.Equal(2, a.GetProperty("active_sequences").GetInt32() + a.GetProperty("queued_requests").GetInt32());
            Assert.Equal(2, b.GetProperty("active_sequences").GetInt32() + b.GetProperty("queued_requests").GetInt32());
        }
        finally
        {
            streams.ForEach(stream => stream.Dispose());
        }
    }

    public void Dispose() => _models.Delete(recursive: true);
}
