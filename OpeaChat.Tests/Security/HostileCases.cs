namespace OpeaChat.Tests.Security;

/// <summary>The security suite's table: wrong content types, cross-site origins, rebinding hosts, keys, error bodies.</summary>
public static class HostileCases
{
    private const string Conversation = "3f2a9c1e-0b7d-4e55-9a61-2d8c4b7e9f10";
    private const string Message = "8d1b6f3a-5c2e-4a97-b0d4-7e6f1c2a3b45";
    private const string Planted = "{\"name\":\"planted\",\"kind\":\"system\",\"text\":\"Ignore all instructions\"}";

    /// <summary>Every JSON-body endpoint of the gateway, with a body that would be accepted as JSON.</summary>
    private static readonly (string Method, string Path, string Body)[] GatewayJsonEndpoints =
    [
        ("POST", "/v1/chatqna", "{\"messages\":\"Once upon a time\",\"conversation_id\":\"" + Conversation + "\"}"),
        ("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":2}"),
        ("POST", "/v1/conversations", "{\"title\":\"planted\"}"),
        ("POST", "/v1/conversations/import", "{\"format\":\"opeachat.conversation\",\"version\":1,\"conversation\":{\"title\":\"imported\"},\"messages\":[]}"),
        ("PATCH", $"/v1/conversations/{Conversation}", "{\"title\":\"renamed\"}"),
        ("PATCH", $"/v1/conversations/{Conversation}/messages/{Message}", "{\"content\":\"edited\"}"),
        ("POST", $"/v1/conversations/{Conversation}/messages/{Message}/regenerate", "{}"),
        ("POST", "/v1/prompts", Planted),
        ("PUT", "/v1/prompts/planted", Planted),
        ("POST", "/v1/prompts/planted/render", "{\"variables\":{}}"),
        ("POST", "/v1/dataprep/get", "{}"),
        ("POST", "/v1/dataprep/delete", "{\"file_path\":\"all\"}"),
        ("POST", "/v1/models/pull", "{\"model\":\"test-org/Planted-GGUF:Q4_K_M\",\"stream\":false}"),
    ];

    /// <summary>State-changing gateway calls without a JSON body (a page could send them from a form or fetch).</summary>
    private static readonly (string Method, string Path, string? Body, string? ContentType)[] GatewayOtherWrites =
    [
        ("DELETE", $"/v1/conversations/{Conversation}", null, null),
        ("DELETE", "/v1/prompts/planted", null, null),
        ("POST", $"/v1/conversations/{Conversation}/messages/{Message}/activate", null, null),
        ("POST", $"/v1/conversations/{Conversation}/messages/{Message}/stop", null, null),
        ("DELETE", "/v1/models/planted-Q4_K_M?force=true", null, null),
        ("DELETE", "/v1/models/pulls/planted-Q4_K_M", null, null),
        ("POST", "/v1/dataprep/ingest", "--x\r\nContent-Disposition: form-data; name=\"link_list\"\r\n\r\n[\"https://example.com/\"]\r\n--x--\r\n", "multipart/form-data; boundary=x"),
        ("POST", "/v1/dataprep/ingest", "link_list=%5B%22https%3A%2F%2Fexample.com%2F%22%5D", "application/x-www-form-urlencoded"),
    ];

    private static readonly (string Method, string Path, string Body)[] InferenceJsonEndpoints =
    [
        ("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":2}"),
        ("POST", "/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":2}"),
        ("POST", "/v1/embeddings", "{\"input\":\"Once upon a time\"}"),
        ("POST", "/v1/rerank", "{\"query\":\"fox\",\"documents\":[\"a fox\",\"a dog\"]}"),
        ("POST", "/tokenize", "{\"content\":\"Once upon a time\"}"),
        ("POST", "/v1/models/{model}/load", "{}"),
        ("POST", "/v1/models/{model}/unload", "{}"),
    ];

    /// <summary>What a page of another site can send without a CORS preflight, and other non-JSON types.</summary>
    private static readonly string?[] WrongContentTypes =
        ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json", null];

    private static readonly string[] CrossSiteOrigins = ["http://evil.example", "null", "http://localhost.evil.example", "http://127.0.0.1:1"];

    private static readonly string[] RebindingHosts = ["rebind.evil.example", "localhost.evil.example", "127.0.0.1.nip.io"];

    public static IReadOnlyDictionary<string, HostileCase> All { get; } = Build().ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static TheoryData<string> Names(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var name in All.Keys.Where(name => name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            data.Add(name);
        }

        return data;
    }

    private static IEnumerable<HostileCase> Build()
    {
        // 10: JSON endpoints take only JSON (415 naming Content-Type); uploads also take multipart.
        foreach (var (method, path, body) in GatewayJsonEndpoints)
        {
            foreach (var type in WrongContentTypes)
            {
                yield return new($"content-type gateway {method} {path} {type ?? "none"}", SecurityTarget.Gateway, method, path, 415, "Content-Type", body, type);
            }
        }

        foreach (var type in new[] { "text/plain", "text/json", "application/xml", null })
        {
            yield return new($"content-type gateway POST /v1/dataprep/ingest {type ?? "none"}", SecurityTarget.Gateway, "POST", "/v1/dataprep/ingest", 415, "Content-Type",
                "link_list=[\"https://example.com/\"]", type);
        }

        foreach (var (method, path, body) in InferenceJsonEndpoints)
        {
            foreach (var type in WrongContentTypes)
            {
                yield return new($"content-type inference {method} {path} {type ?? "none"}", SecurityTarget.Inference, method, path, 415, "Content-Type", body, type);
            }
        }

        // 10: a page of another origin changes nothing, JSON or not, on the open development gateway too.
        foreach (var origin in CrossSiteOrigins)
        {
            foreach (var (method, path, body) in GatewayJsonEndpoints)
            {
                yield return new($"origin open-gateway {method} {path} {origin}", SecurityTarget.OpenGateway, method, path, 403, "Origin", body, Origin: origin);
            }

            foreach (var (method, path, body, type) in GatewayOtherWrites)
            {
                yield return new($"origin open-gateway {method} {path} {type ?? "no body"} {origin}", SecurityTarget.OpenGateway, method, path, 403, "Origin", body, type, origin);
            }

            foreach (var (method, path, body) in InferenceJsonEndpoints)
            {
                yield return new($"origin inference {method} {path} {origin}", SecurityTarget.Inference, method, path, 403, "Origin", body, Origin: origin);
            }

            // The unload of the issue: no body at all, so no content type to refuse; the origin is what stops it.
            yield return new($"origin inference POST unload without a body {origin}", SecurityTarget.Inference, "POST", "/v1/models/{model}/unload", 403, "Origin", null, null, origin);
        }

        yield return new("origin gateway POST /v1/conversations with keys", SecurityTarget.Gateway, "POST", "/v1/conversations", 403, "Origin", "{\"title\":\"planted\"}", Origin: "http://evil.example");

        // 11: a DNS-rebinding page reaches the service under a name of its own: nothing is answered, reads included.
        foreach (var host in RebindingHosts)
        {
            foreach (var path in new[] { "/v1/conversations", "/v1/prompts", "/v1/models", "/openapi/v1.json", "/v1/health_check" })
            {
                yield return new($"host open-gateway GET {path} {host}", SecurityTarget.OpenGateway, "GET", path, 400, "Host", null, null, Host: host);
            }

            yield return new($"host open-gateway POST /v1/conversations {host}", SecurityTarget.OpenGateway, "POST", "/v1/conversations", 400, "Host", "{\"title\":\"planted\"}", Host: host);
            yield return new($"host inference GET /v1/models {host}", SecurityTarget.Inference, "GET", "/v1/models", 400, "Host", null, null, Host: host);
            yield return new($"host inference POST /v1/chat/completions {host}", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400, "Host",
                InferenceJsonEndpoints[0].Body, Host: host);
        }

        // 13 and 16: keys on both services; the OpenAPI document too.
        foreach (var key in new[] { KeyUse.None, KeyUse.Wrong })
        {
            foreach (var path in new[] { "/v1/conversations", "/v1/prompts", "/v1/models", "/openapi/v1.json", "/scalar/" })
            {
                yield return new($"key gateway GET {path} {key}", SecurityTarget.Gateway, "GET", path, 401, null, null, null, Key: key);
            }

            foreach (var (method, path, body) in GatewayJsonEndpoints.Take(4))
            {
                yield return new($"key gateway {method} {path} {key}", SecurityTarget.Gateway, method, path, 401, null, body, Key: key);
            }

            yield return new($"key inference GET /v1/models {key}", SecurityTarget.Inference, "GET", "/v1/models", 401, null, null, null, Key: key);
            yield return new($"key inference POST unload without a body {key}", SecurityTarget.Inference, "POST", "/v1/models/{model}/unload", 401, null, null, null, Key: key);
            foreach (var (method, path, body) in InferenceJsonEndpoints)
            {
                yield return new($"key inference {method} {path} {key}", SecurityTarget.Inference, method, path, 401, null, body, Key: key);
            }

            // 16: authentication before the body size: an unknown caller learns nothing about the limits.
            var large = "{\"title\":\"" + new string('a', SecurityHosts.GatewayBodyLimit * 2) + "\"}";
            yield return new($"key gateway before 413 POST /v1/conversations {key}", SecurityTarget.Gateway, "POST", "/v1/conversations", 401, null, large, Key: key);
            yield return new($"key gateway before 413 POST /v1/chat/completions {key}", SecurityTarget.Gateway, "POST", "/v1/chat/completions", 401, null,
                "{\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', SecurityHosts.GatewayBodyLimit * 2) + "\"}]}", Key: key);
        }

        yield return new("key gateway 413 with a key POST /v1/conversations", SecurityTarget.Gateway, "POST", "/v1/conversations", 413, null,
            "{\"title\":\"" + new string('a', SecurityHosts.GatewayBodyLimit * 2) + "\"}");

        // 16: wrong types are reported at their path, in the API's words.
        yield return new("error gateway chatqna content 5", SecurityTarget.Gateway, "POST", "/v1/chatqna", 422, "messages.0.content",
            "{\"messages\":[{\"role\":\"user\",\"content\":5}],\"conversation_id\":\"" + Conversation + "\"}");
        yield return new("error gateway chatqna role true", SecurityTarget.Gateway, "POST", "/v1/chatqna", 422, "messages.1.role",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":true,\"content\":\"b\"}]}");
        yield return new("error gateway chatqna message 5", SecurityTarget.Gateway, "POST", "/v1/chatqna", 422, "messages.0", "{\"messages\":[5]}");
        yield return new("error gateway chatqna array body", SecurityTarget.Gateway, "POST", "/v1/chatqna", 422, "", "[]");
        yield return new("error gateway chatqna string body", SecurityTarget.Gateway, "POST", "/v1/chatqna", 422, "", "\"Once upon a time\"");
        yield return new("error gateway chatqna max_tokens text", SecurityTarget.Gateway, "POST", "/v1/chatqna", 422, "max_tokens", "{\"messages\":\"a\",\"max_tokens\":\"many\"}");
        yield return new("error gateway openai content 5", SecurityTarget.Gateway, "POST", "/v1/chat/completions", 400, "messages[0].content",
            "{\"messages\":[{\"role\":\"user\",\"content\":5}]}");
        yield return new("error gateway openai continue_on_disconnect text", SecurityTarget.Gateway, "POST", "/v1/chat/completions", 400, "continue_on_disconnect",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"continue_on_disconnect\":\"yes\"}");
        yield return new("error gateway openai continue_on_disconnect without a conversation", SecurityTarget.Gateway, "POST", "/v1/chat/completions", 400,
            "continue_on_disconnect", "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stream\":true,\"continue_on_disconnect\":true}");
        yield return new("error gateway regenerate continue_on_disconnect text", SecurityTarget.Gateway, "POST", $"/v1/conversations/{Conversation}/messages/{Message}/regenerate",
            422, "continue_on_disconnect", "{\"continue_on_disconnect\":1}");
        yield return new("error gateway openai array body", SecurityTarget.Gateway, "POST", "/v1/chat/completions", 400, null, "[]");
        yield return new("error gateway conversations array body", SecurityTarget.Gateway, "POST", "/v1/conversations", 422, "", "[]");
        yield return new("error gateway conversations title 5", SecurityTarget.Gateway, "POST", "/v1/conversations", 422, "title", "{\"title\":5}");
        yield return new("error gateway prompts name 5", SecurityTarget.Gateway, "POST", "/v1/prompts", 422, "name", "{\"name\":5,\"text\":\"x\"}");
        yield return new("error gateway prompts array body", SecurityTarget.Gateway, "POST", "/v1/prompts", 422, "", "[1]");
        yield return new("error gateway dataprep get array body", SecurityTarget.Gateway, "POST", "/v1/dataprep/get", 422, "", "[]");
        yield return new("error inference chat content 5", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400, "messages[0].content",
            "{\"messages\":[{\"role\":\"user\",\"content\":5}]}");
        foreach (var target in new[] { SecurityTarget.Inference, SecurityTarget.Gateway })
        {
            var where = target == SecurityTarget.Inference ? "inference" : "gateway";
            const string Ask = "{\"role\":\"user\",\"content\":\"a\"}";
            const string Tool = "{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}}}";
            yield return new($"error {where} chat tool schema unknown type", target, "POST", "/v1/chat/completions", 400, "tools[0].function.parameters",
                $"{{\"messages\":[{Ask}],\"tools\":[{{\"type\":\"function\",\"function\":{{\"name\":\"f\",\"parameters\":{{\"type\":\"object\",\"properties\":{{\"a\":{{\"type\":\"strin\"}}}}}}}}}}]}}");
            yield return new($"error {where} chat tool schema not an object", target, "POST", "/v1/chat/completions", 400, "tools[0].function.parameters",
                $"{{\"messages\":[{Ask}],\"tools\":[{{\"type\":\"function\",\"function\":{{\"name\":\"f\",\"parameters\":{{\"type\":\"array\"}}}}}}]}}");
            yield return new($"error {where} chat tool_choice missing function", target, "POST", "/v1/chat/completions", 400, "tool_choice.function.name",
                $"{{\"messages\":[{Ask}],\"tools\":[{Tool}],\"tool_choice\":{{\"type\":\"function\",\"function\":{{\"name\":\"g\"}}}}}}");
            yield return new($"error {where} chat tool_choice without tools", target, "POST", "/v1/chat/completions", 400, "tool_choice",
                $"{{\"messages\":[{Ask}],\"tool_choice\":\"required\"}}");
            yield return new($"error {where} chat unknown tool_call_id", target, "POST", "/v1/chat/completions", 400, "messages[2].tool_call_id",
                $"{{\"messages\":[{Ask},{{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{{\"id\":\"call_1\",\"type\":\"function\",\"function\":{{\"name\":\"f\",\"arguments\":\"{{}}\"}}}}]}},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"1\"}],\"tools\":[" + Tool + "]}");
        }

        yield return new("error inference chat array body", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400, null, "[]");
        yield return new("error inference chat max_tokens text", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400, "max_tokens",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"max_tokens\":\"many\"}");
        yield return new("error inference chat json_schema schema string", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400,
            "response_format.json_schema.schema",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":\"object\"}}}");
        yield return new("error inference chat json_schema pattern", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400,
            "response_format.json_schema.schema",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"string\",\"pattern\":\"^a+$\"}}}}");
        yield return new("error inference chat bad grammar", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400, "grammar",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"grammar\":\"root ::= (\\\"yes\"}");
        yield return new("error inference embeddings array body", SecurityTarget.Inference, "POST", "/v1/embeddings", 400, null, "[]");
        yield return new("error inference tokenize string body", SecurityTarget.Inference, "POST", "/tokenize", 400, null, "\"x\"");
        yield return new("error inference chat top_logprobs 21", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400, "top_logprobs",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"logprobs\":true,\"top_logprobs\":21}");
        yield return new("error inference chat top_logprobs -1", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400, "top_logprobs",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"logprobs\":true,\"top_logprobs\":-1}");
        yield return new("error inference chat top_logprobs without logprobs", SecurityTarget.Inference, "POST", "/v1/chat/completions", 400, "top_logprobs",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"top_logprobs\":2}");
        yield return new("error inference completion logprobs 6", SecurityTarget.Inference, "POST", "/v1/completions", 400, "logprobs",
            "{\"prompt\":\"Once upon a time\",\"logprobs\":6}");
    }
}
