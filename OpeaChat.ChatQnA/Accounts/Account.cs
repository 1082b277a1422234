using Microsoft.AspNetCore.Identity;

namespace OpeaChat.ChatQnA.Accounts;

/// <summary>A person's account: Identity's user (password hash, lockout, logins) plus a role and an approval flag.</summary>
public sealed class Account : IdentityUser
{
    /// <summary><see cref="AccountRoles.Admin"/> or <see cref="AccountRoles.Member"/>.</summary>
    public string Role { get; set; } = AccountRoles.Member;

    /// <summary>False while a sign-up waits for an admin (<c>ChatQnA:Accounts:SignUp = approval</c>).</summary>
    public bool Approved { get; set; }

    public string? DisplayName { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public static class AccountRoles
{
    public const string Admin = "admin";
    public const string Member = "member";

    public static IReadOnlyList<string> All { get; } = [Admin, Member];
}

/// <summary>A personal API key: only its SHA-256 is kept; the key itself is shown once, when made.</summary>
public sealed class PersonalApiKey
{
    public Guid Id { get; set; }

    /// <summary>The account the key acts as.</summary>
    public required string AccountId { get; set; }

    public required string Name { get; set; }

    /// <summary>The key's first characters, shown in lists to tell keys apart.</summary>
    public required string Prefix { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole key (the key has 256 random bits, so a fast hash is enough).</summary>
    public required string Hash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }
}
