using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Accounts;
using OpeaChat.ChatQnA.Data;

// In the root namespace, beside AddChatQnAServices, which calls it.
namespace OpeaChat.ChatQnA;

public static class AccountServiceExtensions
{
    /// <summary>
    /// Accounts (<c>ChatQnA:Accounts</c>): Identity's user manager over the conversations database, personal keys,
    /// and, at start, giving rows from before accounts to the first admin. Registered in local mode too (the status
    /// endpoint answers "off"); nothing is filtered unless accounts are on.
    /// </summary>
    public static IHostApplicationBuilder AddAccountServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<AccountsOptions>()
            .Bind(builder.Configuration.GetSection(AccountsOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AccountsOptions>, AccountsOptionsValidator>();

        // Identity's stores want the context per request; it is the configured provider's, typed as the shared base.
        builder.Services.AddScoped<ConversationsDbContext>(services => services.GetRequiredService<IDbContextFactory<ConversationsDbContext>>().CreateDbContext());
        builder.Services.AddIdentityCore<Account>()
            .AddEntityFrameworkStores<ConversationsDbContext>();
        builder.Services.AddOptions<IdentityOptions>().Configure<IOptions<AccountsOptions>>((identity, accounts) =>
        {
            var settings = accounts.Value;
            identity.Lockout.AllowedForNewUsers = true;
            identity.Lockout.MaxFailedAccessAttempts = settings.MaxFailedAttempts;
            identity.Lockout.DefaultLockoutTimeSpan = settings.LockoutDuration;
            identity.Password.RequiredLength = settings.PasswordMinLength;
            identity.Password.RequireDigit = settings.PasswordRequireDigit;
            identity.Password.RequireUppercase = settings.PasswordRequireUppercase;
            identity.Password.RequireLowercase = settings.PasswordRequireLowercase;
            identity.Password.RequireNonAlphanumeric = settings.PasswordRequireSymbol;
            identity.Password.RequiredUniqueChars = 1;
        });
        builder.Services.AddScoped<AccountService>();
        // After the database initializer (hosted services start in order).
        builder.Services.AddHostedService<AccountsInitializer>();
        return builder;
    }
}

/// <summary>
/// With accounts on and an admin made: rows a local-mode run added (owner null) become the first admin's, so turning
/// accounts on never hides anything.
/// </summary>
public sealed class AccountsInitializer(IServiceScopeFactory scopes, IOptions<AccountsOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        if (await accounts.FirstAdminIdAsync(cancellationToken) is { } admin)
        {
            await accounts.ClaimUnownedAsync(admin, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
