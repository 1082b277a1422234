using Microsoft.Extensions.Configuration;
using OpeaChat.AppHost.Deployment;

namespace OpeaChat.AppHost;

/// <summary>
/// Accounts in a development run: the gateway keeps people and roles, and the web, holding a forwarder key generated
/// for each run, signs them in and names them on every call. The deployment's equivalent is in <see cref="DeploymentWiring"/>.
/// </summary>
internal static class DevelopmentAccounts
{
    public const string SettingName = "OPEACHAT_ACCOUNTS";

    public static bool Requested(IConfiguration configuration)
    {
        var text = configuration[SettingName] is { Length: > 0 } setting ? setting : configuration[$"Parameters:{DeploymentParameters.AccountsName}"];
        return text?.Trim().ToUpperInvariant() switch
        {
            null or "" or "FALSE" or "OFF" or "NO" or "0" => false,
            "TRUE" or "ON" or "YES" or "1" => true,
            _ => throw new DistributedApplicationException($"{SettingName} is '{text}'; expected true or false."),
        };
    }

    public static void Apply(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> chatqna, IResourceBuilder<ProjectResource> web)
    {
        var forwarderKey = builder.AddParameter(DeploymentParameters.ForwarderApiKeyName,
            new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: false);
        chatqna
            .WithEnvironment("ChatQnA__Accounts__Enabled", "true")
            .WithEnvironment("ChatQnA__ForwarderApiKeys__0", forwarderKey);
        web.WithEnvironment("ChatQnA__ApiKey", forwarderKey);
    }
}
