using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace OpeaChat.ChatQnA.Accounts;

/// <summary><c>ChatQnA:Accounts</c>: people, roles, personal keys and ownership (docs/security.md).</summary>
public sealed class AccountsOptions
{
    public const string SectionName = "ChatQnA:Accounts";

    /// <summary>Off (the default): local mode, one implicit owner, no sign-in; everything behaves as a single-user gateway.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Who may make an account after the first (which becomes the admin): <c>closed</c> (the default: nobody signs
    /// up; new people come through OpenID Connect), <c>approval</c> (made, but wait for an admin) or <c>open</c>.
    /// </summary>
    [RegularExpression("^(closed|approval|open)$", ErrorMessage = "ChatQnA:Accounts:SignUp must be closed, approval or open.")]
    public string SignUp { get; set; } = SignUpModes.Closed;

    /// <summary>
    /// Accounts made at a person's first OpenID Connect sign-in: <c>open</c> (the default: the identity provider
    /// already decides who may sign in), <c>approval</c> or <c>closed</c> (only existing accounts sign in that way).
    /// </summary>
    [RegularExpression("^(closed|approval|open)$", ErrorMessage = "ChatQnA:Accounts:ExternalSignUp must be closed, approval or open.")]
    public string ExternalSignUp { get; set; } = SignUpModes.Open;

    /// <summary>Failed password checks in a row before the account is locked.</summary>
    [Range(1, 100)]
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>How long a lockout after failed attempts lasts.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    [Range(6, 128)]
    public int PasswordMinLength { get; set; } = 10;

    public bool PasswordRequireDigit { get; set; }

    public bool PasswordRequireUppercase { get; set; }

    public bool PasswordRequireLowercase { get; set; }

    public bool PasswordRequireSymbol { get; set; }
}

public static class SignUpModes
{
    public const string Closed = "closed";
    public const string Approval = "approval";
    public const string Open = "open";
}

/// <summary>Accounts need the web's forwarder key: without it no request could speak for a person.</summary>
public sealed class AccountsOptionsValidator(IOptions<ChatQnAOptions> gateway) : IValidateOptions<AccountsOptions>
{
    public ValidateOptionsResult Validate(string? name, AccountsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled && gateway.Value.ForwarderApiKeys.Count == 0
            ? ValidateOptionsResult.Fail("ChatQnA:Accounts:Enabled needs ChatQnA:ForwarderApiKeys: the web frontend signs people in with that key.")
            : ValidateOptionsResult.Success;
    }
}
