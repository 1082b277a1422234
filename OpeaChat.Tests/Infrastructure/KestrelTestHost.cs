using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>
/// One of the app's services in the test process on a real Kestrel port (a browser or another service can reach it),
/// in the Development environment, with the settings the test chose over its appsettings.
/// </summary>
public abstract class KestrelTestHost<TEntryPoint> : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Services added after the app's own (an injected fault), or null.</param>
    protected KestrelTestHost(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        _settings = settings;
        _services = services;
        UseKestrel(0);
        StartServer();
        Client = new HttpClient { BaseAddress = ClientOptions.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>Where the server listens.</summary>
    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>A client over real HTTP to the server's port.</summary>
    public HttpClient Client { get; }

    /// <summary>The settings the host was started with (whole keys).</summary>
    protected IReadOnlyDictionary<string, string?> Settings => _settings;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Client.Dispose();
        }

        base.Dispose(disposing);
    }
}
