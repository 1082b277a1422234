using System.ClientModel;
using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpeaChat.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using OpenAiFinishReason = OpenAI.Chat.ChatFinishReason;

namespace OpeaChat.Tests.ChatQnA;

/// <summary>
/// Programs' clients against OpeaChat, with the real tiny model: the official OpenAI .NET client and
/// Microsoft.Extensions.AI's function-invocation loop complete a tool round trip (the call comes, the function runs,
/// its result goes back, an answer follows), through the gateway's OpenAI door and against inference directly. The
/// model cannot pick a tool by itself, so the first round requires one.
/// </summary>
[Collection(InProcessHostCollection.Name)]
public sealed class ChatClientTests(InferenceServerFixture fixture) : IClassFixture<InferenceServerFixture>
{
    private const string Model = "stories260K";
    private const string GatewayKey = "program-key";

    private static readonly BinaryData WeatherSchema = BinaryData.FromString(
        """{"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":12},"unit":{"enum":["c","f"]}},"required":["city","unit"],"additionalProperties":false}""");

    public static TheoryData<string> Targets => new() { "gateway", "inference" };

    public static TheoryData<string, bool> TargetsAndStreaming => new()
    {
        { "gateway", false }, { "gateway", true }, { "inference", false }, { "inference", true },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task The_openai_client_gets_a_required_tool_call_and_answers_after_its_result(string target)
    {
        using var gateway = target == "gateway" ? GatewayHost.Start(fixture.Host.BaseAddress, ("ApiKeys:0", GatewayKey)) : null;
        var client = OpenAiClient(gateway).GetChatClient(Model);
        var tool = ChatTool.CreateFunctionTool("get_weather", "The weather of a city.", WeatherSchema);
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("What is the weather in Oslo?")];

        ChatCompletion first = await client.CompleteChatAsync(messages, new ChatCompletionOptions
        {
            Tools = { tool }, ToolChoice = ChatToolChoice.CreateRequiredChoice(), AllowParallelToolCalls = false, MaxOutputTokenCount = 200,
        });

        Assert.Equal(OpenAiFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.False(string.IsNullOrEmpty(call.Id));
        using (var arguments = JsonDocument.Parse(call.FunctionArguments))
        {
            Assert.False(string.IsNullOrEmpty(arguments.RootElement.GetProperty("city").GetString()));
            Assert.Contains(arguments.RootElement.GetProperty("unit").GetString(), new[] { "c", "f" });
        }

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, """{"temperature":21,"sky":"clear"}"""));
        var answerOptions = new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateNoneChoice(), MaxOutputTokenCount = 30 };
        ChatCompletion answer = await client.CompleteChatAsync(messages, answerOptions);

        Assert.NotEqual(OpenAiFinishReason.ToolCalls, answer.FinishReason);
        Assert.Empty(answer.ToolCalls);
        Assert.False(string.IsNullOrWhiteSpace(string.Concat(answer.Content.Select(part => part.Text))));
        // The call and its result were read: the prompt holds more than the question alone does.
        ChatCompletion questionAlone = await client.CompleteChatAsync(messages.Take(1), answerOptions);
        Assert.True(answer.Usage.InputTokenCount > questionAlone.Usage.InputTokenCount + 10, $"{answer.Usage.InputTokenCount} vs {questionAlone.Usage.InputTokenCount}");
    }

    [Theory]
    [MemberData(nameof(TargetsAndStreaming))]
    public async Task The_function_invocation_loop_calls_a_csharp_function_and_answers(string target, bool stream)
    {
        using var gateway = target == "gateway" ? GatewayHost.Start(fixture.Host.BaseAddress, ("ApiKeys:0", GatewayKey)) : null;
        var weather = new WeatherService();
        // After a round that invoked functions, FunctionInvokingChatClient drops a required tool mode (it would loop
        // for ever otherwise) and asks again with the tools on auto; on its last allowed round it sends no tools at all,
        // so an answer in words ends the loop even if the tiny model called again on auto.
        using var chat = new ChatClientBuilder(OpenAiClient(gateway).GetChatClient(Model).AsIChatClient())
            .UseFunctionInvocation(configure: invoking => invoking.MaximumIterationsPerRequest = 2)
            .Build();
        var options = new ChatOptions
        {
            Tools = [AIFunctionFactory.Create(weather.GetWeather)],
            ToolMode = ChatToolMode.RequireAny,
            AllowMultipleToolCalls = false,
            MaxOutputTokens = 120,
            Seed = 11,
        };
        List<AiChatMessage> messages = [new(ChatRole.User, "What is the weather in Oslo?")];

        var response = stream
            ? await chat.GetStreamingResponseAsync(messages, options).ToChatResponseAsync()
            : await chat.GetResponseAsync(messages, options);

        Assert.NotEmpty(weather.Calls);
        Assert.All(weather.Calls, called => Assert.False(string.IsNullOrEmpty(called.City)));
        // The call, the function's result and the answer, in order.
        var results = response.Messages.SelectMany(message => message.Contents).OfType<FunctionResultContent>().ToList();
        Assert.Equal(weather.Calls.Count, results.Count);
        Assert.All(results, result => Assert.Contains("degrees", result.Result?.ToString() ?? string.Empty, StringComparison.Ordinal));
        Assert.Equal(ChatRole.Assistant, response.Messages[^1].Role);
        Assert.False(string.IsNullOrWhiteSpace(response.Messages[^1].Text), string.Join(" | ", response.Messages.Select(message => $"{message.Role}: {message.Text}")));
    }

    [Fact]
    public async Task Extension_fields_reach_inference_through_the_gateways_chat_client()
    {
        using var gateway = GatewayHost.Start(fixture.Host.BaseAddress);

        // ignore_eos: exactly max_tokens tokens, ended by the length.
        var lengthCapped = await OpenAiCalls.ChatAsync(gateway.Client, new { messages = OpenAiCalls.User("Once upon a time"), max_tokens = 12, ignore_eos = true });
        Assert.Equal((200, "length", 12), (lengthCapped.Status, lengthCapped.FinishReason, lengthCapped.CompletionTokens));

        // grammar: the output holds to it, whole and streamed.
        const string YesOrNo = "root ::= \"yes\" | \"no\"";
        var whole = await OpenAiCalls.ChatAsync(gateway.Client, new { messages = OpenAiCalls.User("Is the sky blue?"), grammar = YesOrNo, max_tokens = 8 });
        Assert.Contains(whole.Text, new[] { "yes", "no" });
        var streamed = await OpenAiCalls.ChatStreamAsync(gateway.Client, new
        {
            messages = OpenAiCalls.User("Is the grass green?"), grammar = YesOrNo, max_tokens = 8, stream = true, stream_options = new { include_usage = true },
        });
        Assert.Contains(streamed.Text, new[] { "yes", "no" });

        // cache_prompt:false: the same next turn reuses nothing, where with the default it reuses the first turn's prefix.
        const string Opening = "Once upon a time a small grey owl who lived in the old oak tree";
        var first = await OpenAiCalls.ChatAsync(gateway.Client, new { messages = OpenAiCalls.User(Opening), max_tokens = 10, seed = 4 });
        object[] nextTurn =
        [
            new { role = "user", content = Opening },
            new { role = "assistant", content = first.Text },
            new { role = "user", content = "And then?" },
        ];
        var uncached = await OpenAiCalls.ChatAsync(gateway.Client, new { messages = nextTurn, max_tokens = 6, seed = 4, cache_prompt = false });
        var cached = await OpenAiCalls.ChatAsync(gateway.Client, new { messages = nextTurn, max_tokens = 6, seed = 4 });
        Assert.Equal(0, uncached.CachedTokens);
        Assert.True(cached.CachedTokens >= first.PromptTokens - 1, $"{cached.CachedTokens} reused of {cached.PromptTokens}; the first turn had {first.PromptTokens}");
    }

    [Fact]
    public async Task Log_probabilities_come_through_the_gateway_whole_and_streamed()
    {
        using var gateway = GatewayHost.Start(fixture.Host.BaseAddress, ("ApiKeys:0", GatewayKey));
        var client = OpenAiClient(gateway).GetChatClient(Model);
        var options = new ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = 3, Temperature = 0, MaxOutputTokenCount = 12 };
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("Once upon a time")];

        ChatCompletion whole = await client.CompleteChatAsync(messages, options);
        Assert.Equal(whole.Usage.OutputTokenCount, whole.ContentTokenLogProbabilities.Count);
        Assert.All(whole.ContentTokenLogProbabilities, entry =>
        {
            Assert.Equal(3, entry.TopLogProbabilities.Count);
            Assert.Equal(entry.TopLogProbabilities[0].Token, entry.Token); // temperature 0: the most likely one
            Assert.True(entry.LogProbability <= 0);
        });
        Assert.Equal(whole.Content[0].Text, string.Concat(whole.ContentTokenLogProbabilities.Select(entry => entry.Token)));

        var streamed = new List<ChatTokenLogProbabilityDetails>();
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            streamed.AddRange(update.ContentTokenLogProbabilities);
        }

        // Temperature 0: the same tokens as the whole answer, and the same values (a reused KV-cache prefix may move the last digits).
        Assert.Equal(whole.ContentTokenLogProbabilities.Select(entry => entry.Token), streamed.Select(entry => entry.Token));
        Assert.All(whole.ContentTokenLogProbabilities.Zip(streamed), pair => Assert.Equal(pair.First.LogProbability, pair.Second.LogProbability, 0.001f));
    }

    [Fact]
    public async Task A_bad_tool_is_refused_by_inference_through_the_gateway_naming_the_field()
    {
        using var gateway = GatewayHost.Start(fixture.Host.BaseAddress);

        var refused = await OpenAiCalls.ChatAsync(gateway.Client, new
        {
            messages = OpenAiCalls.User("Weather?"),
            tools = new[] { new { type = "function", function = new { name = "no spaces allowed", parameters = new { type = "object" } } } },
        });

        Assert.Equal(400, refused.Status);
        Assert.Equal("tools[0].function.name", refused.Body.GetProperty("error").GetProperty("param").GetString());
    }

    /// <summary>The official client, pointed at the gateway's <c>/v1</c> with its key, or at inference's.</summary>
    private OpenAIClient OpenAiClient(GatewayHost? gateway) =>
        gateway is null
            ? new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(fixture.Host.BaseAddress, "v1") })
            : new OpenAIClient(new ApiKeyCredential(GatewayKey), new OpenAIClientOptions { Endpoint = new Uri(gateway.BaseAddress, "v1") });

    /// <summary>A C# function for the model to call; it keeps each call's arguments.</summary>
    private sealed class WeatherService
    {
        public List<(string City, bool Celsius)> Calls { get; } = [];

        [Description("Gets the current weather of a city.")]
        public string GetWeather([Description("The city")] string city, [Description("Celsius (true) or Fahrenheit (false)")] bool celsius)
        {
            lock (Calls)
            {
                Calls.Add((city, celsius));
            }

            return celsius ? $"21 degrees C and clear in {city}" : $"70 degrees F and clear in {city}";
        }
    }
}
