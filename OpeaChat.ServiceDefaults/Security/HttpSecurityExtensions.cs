using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OpeaChat.ServiceDefaults.Security;

public static class HttpSecurityExtensions
{
    /// <summary>
    /// Binds <c>AllowedHosts</c> and <c>Security:AllowedOrigins</c>, and sets up CORS from the same origin list
    /// (closed while it is empty). The service's <see cref="IRequestRejection"/> is registered before this, or OpenAI's.
    /// </summary>
    public static IHostApplicationBuilder AddHttpSecurity(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        builder.Services.AddOptions<HttpSecurityOptions>()
            .Bind(configuration.GetSection(HttpSecurityOptions.SectionName))
            .Configure(options =>
            {
                var hosts = configuration["AllowedHosts"] is { Length: > 0 } configured ? configured : HttpSecurityOptions.DefaultAllowedHosts;
                foreach (var host in hosts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    options.AllowedHosts.Add(host);
                }
            })
            .Validate(options => options.AllowedOrigins.All(IsOrigin),
                "Security:AllowedOrigins takes origins such as https://ui.example.com (scheme, host and port; no path, no '*').")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<IRequestRejection, OpenAiRequestRejection>();

        // ASP.NET Core's own host filter answers with an HTML page; HttpSecurityMiddleware applies the same
        // AllowedHosts and answers in the contract's shape, so the built-in one lets everything through.
        builder.Services.PostConfigure<HostFilteringOptions>(options => options.AllowedHosts = ["*"]);

        builder.Services.AddCors();
        builder.Services.AddOptions<CorsOptions>().Configure<IOptions<HttpSecurityOptions>>((cors, security) =>
            cors.AddDefaultPolicy(policy =>
            {
                if (security.Value.AllowedOrigins.Count > 0)
                {
                    policy.WithOrigins([.. security.Value.AllowedOrigins.Select(HostRules.Normalize)]).AllowAnyHeader().AllowAnyMethod();
                }
            }));
        return builder;
    }

    /// <summary>Security headers, AllowedHosts and the origin check, then CORS. Call first in the pipeline.</summary>
    public static WebApplication UseHttpSecurity(this WebApplication app, Action<HttpSecurityPolicy>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var policy = new HttpSecurityPolicy();
        configure?.Invoke(policy);
        app.UseMiddleware<HttpSecurityMiddleware>(policy);
        app.UseCors();
        return app;
    }

    /// <summary>415 for a body that is not JSON (form paths also take multipart/form-data).</summary>
    public static WebApplication UseJsonBodies(this WebApplication app, params PathString[] formPaths)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<JsonBodyMiddleware>((IReadOnlyList<PathString>)formPaths);
        return app;
    }

    /// <summary>Bearer keys (when <paramref name="keys"/> gives any) on the protected paths (none given: all but the health probes).</summary>
    public static WebApplication UseBearerKeys(this WebApplication app, Func<HttpContext, ICollection<string>> keys, params PathString[] protectedPaths)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<BearerKeyMiddleware>(keys, (IReadOnlyList<PathString>)protectedPaths);
        return app;
    }

    private static bool IsOrigin(string origin) =>
        Uri.TryCreate(HostRules.Normalize(origin), UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
        && !origin.Contains('*', StringComparison.Ordinal);
}
