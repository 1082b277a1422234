using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace OpeaChat.Tests.Security;

/// <summary>
/// The table of <see cref="HostileCases"/>: each request gets its status in its contract's shape naming the field,
/// never a .NET type name, stores nothing (conversations, prompts, documents and inference's loaded models are
/// compared before and after) and leaves /health ok.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class HostileRequestTests(SecurityHosts hosts)
{
    public static TheoryData<string> ContentTypes => HostileCases.Names("content-type ");
    public static TheoryData<string> Origins => HostileCases.Names("origin ");
    public static TheoryData<string> Hosts => HostileCases.Names("host ");
    public static TheoryData<string> Keys => HostileCases.Names("key ");
    public static TheoryData<string> Errors => HostileCases.Names("error ");

    [Fact]
    public void The_table_has_at_least_150_cases_over_all_three_kinds_of_target()
    {
        Assert.True(HostileCases.All.Count >= 150, $"{HostileCases.All.Count} cases");
        Assert.All(Enum.GetValues<SecurityTarget>(), target => Assert.Contains(HostileCases.All.Values, c => c.Target == target));
    }

    [Theory]
    [MemberData(nameof(ContentTypes))]
    public Task Bodies_that_are_not_json_get_415(string name) => RunAsync(HostileCases.All[name]);

    [Theory]
    [MemberData(nameof(Origins))]
    public Task State_changing_requests_from_another_origin_get_403(string name) => RunAsync(HostileCases.All[name]);

    [Theory]
    [MemberData(nameof(Hosts))]
    public Task Requests_for_a_rebinding_host_get_400(string name) => RunAsync(HostileCases.All[name]);

    [Theory]
    [MemberData(nameof(Keys))]
    public Task Requests_without_the_right_key_get_401_before_anything_else(string name) => RunAsync(HostileCases.All[name]);

    [Theory]
    [MemberData(nameof(Errors))]
    public Task Wrong_types_are_reported_at_their_path_without_type_names(string name) => RunAsync(HostileCases.All[name]);

    private async Task RunAsync(HostileCase hostile)
    {
        var (address, key) = Endpoint(hostile.Target);
        using var client = SecurityHosts.ClientFor(address, hostile.Key switch
        {
            KeyUse.Valid => key,
            KeyUse.Wrong => "not-the-key",
            _ => null,
        });
        var model = await ModelIdAsync();
        var before = await SnapshotAsync();

        using var request = new HttpRequestMessage(new HttpMethod(hostile.Method), hostile.Path.Replace("{model}", model, StringComparison.Ordinal));
        if (hostile.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(hostile.Body));
            if (hostile.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", hostile.ContentType);
            }
        }

        if (hostile.Origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", hostile.Origin);
        }

        if (hostile.Host is not null)
        {
            request.Headers.Host = hostile.Host;
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(hostile.Status == (int)response.StatusCode, $"{hostile.Name}: expected {hostile.Status}, got {(int)response.StatusCode}: {text}");
        AssertShape(hostile, text);
        Assert.DoesNotMatch(@"\b(OpeaChat|System|Microsoft)\.[A-Z]", text);
        if (hostile.Status == 401)
        {
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        }

        Assert.Equal(before, await SnapshotAsync());
        foreach (var service in new[] { hosts.Gateway.BaseAddress, hosts.OpenGateway.BaseAddress, hosts.Inference.BaseAddress })
        {
            using var health = SecurityHosts.ClientFor(service, null);
            Assert.Equal(HttpStatusCode.OK, (await health.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode);
        }
    }

    /// <summary>OpenAI's shape on inference and the gateway's OpenAI door; OPEA's 422 (loc) or {"detail"} elsewhere.</summary>
    private static void AssertShape(HostileCase hostile, string text)
    {
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        var openAi = hostile.Target == SecurityTarget.Inference
            || hostile.Path.StartsWith("/v1/chat/completions", StringComparison.Ordinal) || hostile.Path.StartsWith("/v1/models", StringComparison.Ordinal);
        if (openAi)
        {
            var error = root.GetProperty("error");
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()), text);
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("type").GetString()), text);
            var param = error.TryGetProperty("param", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            Assert.True(hostile.Field == param, $"{hostile.Name}: param {param ?? "null"}, expected {hostile.Field ?? "null"}: {text}");
            return;
        }

        var detail = root.GetProperty("detail");
        if (hostile.Status == 422)
        {
            var issue = detail[0];
            Assert.False(string.IsNullOrWhiteSpace(issue.GetProperty("msg").GetString()), text);
            var loc = issue.GetProperty("loc").EnumerateArray().Select(part => part.GetString()).ToList();
            Assert.Equal("body", loc[0]);
            Assert.Equal(hostile.Field, string.Join('.', loc.Skip(1)));
            return;
        }

        var message = detail.GetString();
        Assert.False(string.IsNullOrWhiteSpace(message), text);
        if (hostile.Field is not null)
        {
            Assert.Contains(hostile.Field, message, StringComparison.Ordinal);
        }
    }

    private (Uri Address, string? Key) Endpoint(SecurityTarget target) => target switch
    {
        SecurityTarget.Gateway => (hosts.Gateway.BaseAddress, SecurityHosts.GatewayKey),
        SecurityTarget.OpenGateway => (hosts.OpenGateway.BaseAddress, null),
        _ => (hosts.Inference.BaseAddress, SecurityHosts.InferenceKey),
    };

    private async Task<string> ModelIdAsync()
    {
        using var client = SecurityHosts.ClientFor(hosts.Inference.BaseAddress, SecurityHosts.InferenceKey);
        using var json = JsonDocument.Parse(await client.GetStringAsync(new Uri("/v1/models", UriKind.Relative)));
        return json.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
    }

    /// <summary>Everything the requests could write: both gateways' conversations, prompts and documents, and which models are loaded.</summary>
    private async Task<string> SnapshotAsync()
    {
        var parts = new StringBuilder();
        foreach (var (address, key) in new[] { (hosts.Gateway.BaseAddress, SecurityHosts.GatewayKey), (hosts.OpenGateway.BaseAddress, (string?)null) })
        {
            using var client = SecurityHosts.ClientFor(address, key);
            parts.AppendLine(await client.GetStringAsync(new Uri("/v1/conversations?limit=100", UriKind.Relative)));
            parts.AppendLine(await client.GetStringAsync(new Uri("/v1/prompts", UriKind.Relative)));
            using var documents = await client.PostAsync(new Uri("/v1/dataprep/get", UriKind.Relative),
                new StringContent("{}", new MediaTypeHeaderValue("application/json")));
            parts.AppendLine(await documents.Content.ReadAsStringAsync());
        }

        using var inference = SecurityHosts.ClientFor(hosts.Inference.BaseAddress, SecurityHosts.InferenceKey);
        using var models = JsonDocument.Parse(await inference.GetStringAsync(new Uri("/v1/models", UriKind.Relative)));
        foreach (var model in models.RootElement.GetProperty("data").EnumerateArray())
        {
            parts.Append(model.GetProperty("id").GetString());
            foreach (var property in model.EnumerateObject().Where(p => p.Name.Contains("load", StringComparison.OrdinalIgnoreCase)
                || p.Name.Contains("status", StringComparison.OrdinalIgnoreCase) || p.Name.Contains("state", StringComparison.OrdinalIgnoreCase)))
            {
                parts.Append(' ').Append(property.Name).Append('=').Append(property.Value.GetRawText());
            }

            parts.AppendLine();
        }

        return parts.ToString();
    }
}
