using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpeaChat.Tests.ChatQnA.Conversations;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Accounts;

/// <summary>
/// A gateway with accounts on, over real HTTP: the web's forwarder key (with <c>OpeaChat-User</c>), a service key,
/// and personal keys. Every log line the gateway writes is kept, to look for secrets in it.
/// </summary>
public abstract class AccountsTestBase : IDisposable
{
    public const string ForwarderKey = "web-forwarder-key";
    public const string ServiceKey = "service-key";

    private readonly List<IDisposable> _owned = [];

    protected ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>Where the gateway keeps its data (SQLite), or null for PostgreSQL.</summary>
    protected abstract Task<(string DataDirectory, (string Key, string? Value)[] Settings)> StoreAsync();

    protected async Task<Gateway> StartAsync(params (string Key, string? Value)[] settings)
    {
        var (directory, store) = await StoreAsync();
        return Start(directory, [.. store, .. settings]);
    }

    /// <summary>The inference server the gateway calls; nowhere unless a test needs models (embeddings, replies).</summary>
    protected virtual Uri InferenceAddress => GatewayHost.Nowhere();

    protected Gateway Start(string dataDirectory, params (string Key, string? Value)[] settings)
    {
        var host = GatewayHost.Start(InferenceAddress, dataDirectory, services =>
        {
            services.AddSingleton<ILoggerProvider>(new CapturingLoggerProvider(Logs));
            ConfigureServices(services, dataDirectory);
        },
        [
            ("ForwarderApiKeys:0", ForwarderKey), ("ApiKeys:0", ServiceKey),
            ("Accounts:Enabled", "true"), ("Accounts:SignUp", "open"), ("Accounts:PasswordMinLength", "8"),
            ("Logging:LogLevel:Default", "Debug"),
            .. settings,
        ]);
        _owned.Add(host);
        return new Gateway(host);
    }

    /// <summary>Services replaced after the gateway's own.</summary>
    protected virtual void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
    }

    protected TempDirectory NewDirectory()
    {
        var directory = new TempDirectory();
        _owned.Add(directory);
        return directory;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Requests as the web frontend (forwarder key, optionally for a person) or with any key.</summary>
    protected sealed class Gateway(GatewayHost host)
    {
        public GatewayHost Host => host;

        public async Task<(HttpStatusCode Status, JsonElement Json)> SendAsync(HttpMethod method, string path, object? body = null, string key = ForwarderKey, string? user = null, string? session = null)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            if (user is not null)
            {
                request.Headers.Add("OpeaChat-User", user);
            }

            if (session is not null)
            {
                request.Headers.Add("OpeaChat-Session", session);
            }

            if (body is not null)
            {
                request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
            }

            using var response = await host.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var json = text.Length == 0 ? default : ParseOrString(text);
            return (response.StatusCode, json);
        }

        private static JsonElement ParseOrString(string text)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return JsonSerializer.SerializeToElement(text);
            }
        }

        public async Task<JsonElement> ExpectAsync(HttpStatusCode expected, HttpMethod method, string path, object? body = null, string key = ForwarderKey, string? user = null, string? session = null)
        {
            var (status, json) = await SendAsync(method, path, body, key, user, session);
            Assert.True(status == expected, $"{method} {path}: expected {(int)expected}, got {(int)status} {json}");
            return json;
        }

        /// <summary>Signs a person up through the web's call and returns their account id.</summary>
        public async Task<string> SignUpAsync(string userName, string password = "correct horse battery")
        {
            var account = await ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/accounts/sign-up", new { user_name = userName, password });
            return account.GetProperty("id").GetString()!;
        }

        public Task<(HttpStatusCode Status, JsonElement Json)> SignInAsync(string userName, string password) =>
            SendAsync(HttpMethod.Post, "/v1/accounts/sign-in", new { user_name = userName, password });
    }
}
