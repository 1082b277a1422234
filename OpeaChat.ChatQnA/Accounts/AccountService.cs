using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Accounts;

namespace OpeaChat.ChatQnA.Accounts;

/// <summary>A refused account operation: its status and the <see cref="AccountError"/> body.</summary>
public sealed class AccountException(int status, AccountError error) : Exception(error.Detail)
{
    public int Status => status;

    public AccountError Error => error;

    public static AccountException Of(int status, string code, string detail, string? field = null) =>
        new(status, new AccountError { Detail = detail, Code = code, Field = field });
}

/// <summary>
/// Accounts over Identity's <see cref="UserManager{TUser}"/> (password hashing, lockout) and personal keys. Per request
/// (scoped), as UserManager is. Passwords and keys are never logged; only ids and user names are.
/// </summary>
public sealed partial class AccountService(
    UserManager<Account> users,
    ConversationsDbContext db,
    IDocumentStore documents,
    IOptionsMonitor<AccountsOptions> options,
    TimeProvider time,
    ILogger<AccountService> logger)
{
    public const string KeyPrefix = "ocp_";
    private const int ShownPrefixLength = 8;

    /// <summary>Last-used times are written at most this often per key, so a busy key does not write on every call.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>One sign-up at a time, so two people on a fresh install cannot both become the first admin (one gateway).</summary>
    private static readonly SemaphoreSlim SignUpGate = new(1, 1);

    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<Account>().HashPassword(new Account(), "not a password of anyone"));

    public async Task<AccountsStatus> StatusAsync(CancellationToken cancellationToken) => new()
    {
        Enabled = options.CurrentValue.Enabled,
        AdminExists = options.CurrentValue.Enabled && await AdminExistsAsync(cancellationToken),
        SignUp = options.CurrentValue.SignUp,
    };

    private Task<bool> AdminExistsAsync(CancellationToken cancellationToken) =>
        db.Users.AnyAsync(u => u.Role == AccountRoles.Admin, cancellationToken);

    /// <summary>Makes an account: the first becomes the approved admin; later ones follow <c>ChatQnA:Accounts:SignUp</c>.</summary>
    public async Task<AccountRecord> SignUpAsync(SignUpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var userName = request.UserName?.Trim();
        if (string.IsNullOrEmpty(userName))
        {
            throw AccountException.Of(StatusCodes.Status422UnprocessableEntity, "invalid_user_name", "Field required: user_name.", "user_name");
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            throw AccountException.Of(StatusCodes.Status422UnprocessableEntity, "invalid_password", "Field required: password.", "password");
        }

        await SignUpGate.WaitAsync(cancellationToken);
        try
        {
            var first = !await AdminExistsAsync(cancellationToken);
            var mode = options.CurrentValue.SignUp;
            if (!first && mode == SignUpModes.Closed)
            {
                throw AccountException.Of(StatusCodes.Status403Forbidden, "sign_up_closed",
                    "Sign-up is closed on this gateway (ChatQnA:Accounts:SignUp); ask an admin for an account.");
            }

            var account = new Account
            {
                UserName = userName,
                Email = string.IsNullOrWhiteSpace(request.Email) ? null : request.Email.Trim(),
                DisplayName = string.IsNullOrWhiteSpace(request.DisplayName) ? null : request.DisplayName.Trim(),
                Role = first ? AccountRoles.Admin : AccountRoles.Member,
                Approved = first || mode == SignUpModes.Open,
                CreatedAt = time.GetUtcNow(),
                LockoutEnabled = true,
            };
            Check(await users.CreateAsync(account, request.Password), "password");
            LogCreated(logger, account.Id, account.UserName, account.Role, account.Approved);
            if (first)
            {
                await ClaimUnownedAsync(account.Id, cancellationToken);
                await ClaimUnownedDocumentsAsync(account.Id, cancellationToken);
            }

            return ToRecord(account, external: false) with { SessionStamp = account.SecurityStamp };
        }
        finally
        {
            SignUpGate.Release();
        }
    }

    /// <summary>
    /// Conversations and prompts made before accounts (owner null: a single-user database, or local mode) become the
    /// admin's. Run when the first admin is made, and at start for rows a later local-mode run added.
    /// </summary>
    public async Task ClaimUnownedAsync(string adminId, CancellationToken cancellationToken)
    {
        var conversations = await db.Conversations.IgnoreQueryFilters().Where(c => c.OwnerId == null)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.OwnerId, adminId), cancellationToken);
        var prompts = await db.Prompts.IgnoreQueryFilters().Where(p => p.OwnerId == null && !p.BuiltIn)
            .ExecuteUpdateAsync(set => set.SetProperty(p => p.OwnerId, adminId), cancellationToken);
        if (conversations + prompts > 0)
        {
            LogClaimed(logger, adminId, conversations, prompts);
        }
    }

    /// <summary>
    /// When the first admin is made (only then: later, a collection without an owner is one a service key wrote, or one
    /// an admin shared): collections from before accounts become that admin's own, as conversations and prompts do.
    /// The admin shares any of them with everyone in one step (<c>POST /v1/dataprep/share</c>, the documents panel).
    /// The account stands either way: a collection that cannot move now (a document still being ingested, the store
    /// down) stays shared, which hides nothing from anyone.
    /// </summary>
    private async Task ClaimUnownedDocumentsAsync(string adminId, CancellationToken cancellationToken)
    {
        try
        {
            var collections = (await documents.ListAsync(null, cancellationToken)).Select(document => document.IndexName)
                .Where(DocumentCollections.IsShared).Distinct(StringComparer.Ordinal).ToList();
            foreach (var collection in collections)
            {
                var move = await documents.MoveAllAsync(collection, DocumentCollections.OwnedName(collection, adminId), cancellationToken);
                if (move.Done)
                {
                    LogDocumentsClaimed(logger, adminId, collection, move.Moved);
                }
                else
                {
                    LogDocumentsNotClaimed(logger, collection, move.Unfinished);
                }
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogDocumentsClaimFailed(logger, exception);
        }
    }

    /// <summary>The first admin made, or null on a fresh install.</summary>
    public Task<string?> FirstAdminIdAsync(CancellationToken cancellationToken) => FirstAdminIdAsync(except: null, cancellationToken);

    /// <summary>The first admin made other than <paramref name="except"/>, or null.</summary>
    private Task<string?> FirstAdminIdAsync(string? except, CancellationToken cancellationToken) =>
        db.Users.Where(u => u.Role == AccountRoles.Admin && u.Id != except).OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).Select(u => u.Id).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Checks a password for the web's sign-in: the account, or 401 (wrong, or locked with its end) / 403 (pending).</summary>
    public async Task<AccountRecord> CheckPasswordAsync(SignInRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var account = string.IsNullOrWhiteSpace(request.UserName) ? null : await users.FindByNameAsync(request.UserName.Trim());
        if (account is null || string.IsNullOrEmpty(request.Password))
        {
            // As long as a real check, so the time taken does not tell which user names exist.
            users.PasswordHasher.VerifyHashedPassword(new Account(), DummyHash.Value, request.Password ?? string.Empty);
            LogSignInFailed(logger, "unknown user or no password");
            throw InvalidCredentials(null);
        }

        if (await users.IsLockedOutAsync(account))
        {
            LogSignInLocked(logger, account.Id);
            throw LockedOut(account);
        }

        if (!await users.CheckPasswordAsync(account, request.Password))
        {
            await users.AccessFailedAsync(account);
            if (await users.IsLockedOutAsync(account))
            {
                LogLockedOut(logger, account.Id);
                throw LockedOut(account);
            }

            LogSignInFailed(logger, "wrong password");
            throw InvalidCredentials(Math.Max(0, options.CurrentValue.MaxFailedAttempts - await users.GetAccessFailedCountAsync(account)));
        }

        await users.ResetAccessFailedCountAsync(account);
        if (!account.Approved)
        {
            throw PendingApproval();
        }

        return ToRecord(account, await HasLoginsAsync(account.Id, cancellationToken)) with { SessionStamp = account.SecurityStamp };
    }

    /// <summary>The caller's own account, with its session stamp.</summary>
    public async Task<AccountRecord> GetAsync(string id, CancellationToken cancellationToken)
    {
        var account = await FindAsync(id, cancellationToken);
        return ToRecord(account, await HasLoginsAsync(id, cancellationToken)) with { SessionStamp = account.SecurityStamp };
    }

    /// <summary>The account a request speaks for, when it may act now (exists, approved, not locked); else null.</summary>
    public async Task<Account?> FindActiveAsync(string id, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        return account is { Approved: true } && !IsLocked(account) ? account : null;
    }

    private bool IsLocked(Account account) => account.LockoutEnd is { } end && end > time.GetUtcNow();

    public async Task ChangePasswordAsync(string id, PasswordChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var account = await FindAsync(id, cancellationToken);
        if (string.IsNullOrEmpty(request.NewPassword))
        {
            throw AccountException.Of(StatusCodes.Status422UnprocessableEntity, "invalid_password", "Field required: new_password.", "new_password");
        }

        if (string.IsNullOrEmpty(request.CurrentPassword) || !await users.CheckPasswordAsync(account, request.CurrentPassword))
        {
            throw AccountException.Of(StatusCodes.Status401Unauthorized, "invalid_credentials", "The current password is not right.", "current_password");
        }

        await ValidatePasswordAsync(account, request.NewPassword, "new_password");
        Check(await users.ChangePasswordAsync(account, request.CurrentPassword, request.NewPassword), "new_password");
        LogPasswordChanged(logger, account.Id, "by its owner");
    }

    public async Task<IReadOnlyList<AccountRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var accounts = await db.Users.AsNoTracking().OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).ToListAsync(cancellationToken);
        var external = (await db.UserLogins.Select(l => l.UserId).Distinct().ToListAsync(cancellationToken)).ToHashSet();
        return accounts.ConvertAll(a => ToRecord(a, external.Contains(a.Id)));
    }

    public async Task<AccountRecord> ApproveAsync(string id, CancellationToken cancellationToken)
    {
        var account = await FindAsync(id, cancellationToken);
        account.Approved = true;
        Check(await users.UpdateAsync(account), null);
        LogApproved(logger, account.Id);
        return ToRecord(account, await HasLoginsAsync(id, cancellationToken));
    }

    /// <summary>An admin sets a new password (the person forgot theirs); it also ends a lockout.</summary>
    public async Task ResetPasswordAsync(string id, PasswordResetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var account = await FindAsync(id, cancellationToken);
        if (string.IsNullOrEmpty(request.NewPassword))
        {
            throw AccountException.Of(StatusCodes.Status422UnprocessableEntity, "invalid_password", "Field required: new_password.", "new_password");
        }

        await ValidatePasswordAsync(account, request.NewPassword, "new_password");
        account.PasswordHash = users.PasswordHasher.HashPassword(account, request.NewPassword);
        account.AccessFailedCount = 0;
        account.LockoutEnd = null;
        Check(await users.UpdateSecurityStampAsync(account), null);
        LogPasswordChanged(logger, account.Id, "by an admin");
    }

    public async Task<AccountRecord> SetRoleAsync(string id, RoleChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Role is not { } role || !AccountRoles.All.Contains(role))
        {
            throw AccountException.Of(StatusCodes.Status422UnprocessableEntity, "invalid_role", $"role must be one of {string.Join(", ", AccountRoles.All)}.", "role");
        }

        var account = await FindAsync(id, cancellationToken);
        if (account.Role == AccountRoles.Admin && role != AccountRoles.Admin
            && !await db.Users.AnyAsync(u => u.Role == AccountRoles.Admin && u.Id != id, cancellationToken))
        {
            throw LastAdmin();
        }

        account.Role = role;
        Check(await users.UpdateAsync(account), null);
        LogRoleSet(logger, account.Id, role);
        return ToRecord(account, await HasLoginsAsync(id, cancellationToken));
    }

    /// <summary>
    /// Deletes an account and everything it owns in one transaction: its conversations (with their messages), its own
    /// prompts, its personal keys and sign-in links. Shared prompts it made pass to the first other admin, as the team
    /// uses them. The only admin is kept (409), so the install is never left without one.
    /// </summary>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var account = await FindAsync(id, cancellationToken);
        string? heir = null;
        if (account.Role == AccountRoles.Admin)
        {
            heir = await FirstAdminIdAsync(except: id, cancellationToken) ?? throw LastAdmin();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var conversations = await db.Conversations.IgnoreQueryFilters().Where(c => c.OwnerId == id).ExecuteDeleteAsync(cancellationToken);
        if (heir is not null)
        {
            await db.Prompts.IgnoreQueryFilters().Where(p => p.OwnerId == id && p.Shared)
                .ExecuteUpdateAsync(set => set.SetProperty(p => p.OwnerId, heir), cancellationToken);
        }

        var prompts = await db.Prompts.IgnoreQueryFilters().Where(p => p.OwnerId == id && !p.BuiltIn).ExecuteDeleteAsync(cancellationToken);
        await db.PersonalApiKeys.Where(k => k.AccountId == id).ExecuteDeleteAsync(cancellationToken);
        Check(await users.DeleteAsync(account), null);
        await transaction.CommitAsync(cancellationToken);

        // The document store may be another database (pgvector), so the person's own collections go after the commit:
        // were this to fail, what is left is unreachable (its owner is gone) and a retry of the delete finds no account.
        var ownCollections = (await documents.ListAsync(null, cancellationToken))
            .Select(document => document.IndexName).Where(collection => DocumentCollections.OwnerOf(collection) == id)
            .Distinct(StringComparer.Ordinal).ToList();
        var documentCount = 0;
        foreach (var collection in ownCollections)
        {
            documentCount += await documents.DeleteAllAsync(collection, cancellationToken);
        }

        LogDeleted(logger, id, conversations, prompts, documentCount);
    }

    /// <summary>Locks (until unlocked) or unlocks an account; a locked account's forwarded calls and keys stop at once.</summary>
    public async Task<AccountRecord> SetLockedAsync(string id, bool locked, string adminId, CancellationToken cancellationToken)
    {
        var account = await FindAsync(id, cancellationToken);
        if (locked && id == adminId)
        {
            throw AccountException.Of(StatusCodes.Status409Conflict, "cannot_lock_self", "An admin cannot lock their own account.");
        }

        account.LockoutEnabled = true;
        account.LockoutEnd = locked ? DateTimeOffset.MaxValue : null;
        account.AccessFailedCount = 0;
        Check(await users.UpdateAsync(account), null);
        LogLockSet(logger, account.Id, locked);
        return ToRecord(account, await HasLoginsAsync(id, cancellationToken));
    }

    /// <summary>
    /// After the web's OpenID Connect sign-in: the account linked to (issuer, subject), made at the first sign-in
    /// (<c>ChatQnA:Accounts:ExternalSignUp</c>); the admin claim makes (and keeps) it an admin.
    /// </summary>
    public async Task<AccountRecord> ExternalSignInAsync(ExternalSignInRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Issuer))
        {
            throw AccountException.Of(StatusCodes.Status422UnprocessableEntity, "invalid_request", "Field required: issuer.", "issuer");
        }

        if (string.IsNullOrWhiteSpace(request.Subject))
        {
            throw AccountException.Of(StatusCodes.Status422UnprocessableEntity, "invalid_request", "Field required: subject.", "subject");
        }

        var issuer = request.Issuer.Trim();
        var subject = request.Subject.Trim();
        await SignUpGate.WaitAsync(cancellationToken);
        try
        {
            var account = await users.FindByLoginAsync(issuer, subject);
            if (account is null)
            {
                var first = !await AdminExistsAsync(cancellationToken);
                var mode = options.CurrentValue.ExternalSignUp;
                if (!first && !request.Admin && mode == SignUpModes.Closed)
                {
                    throw AccountException.Of(StatusCodes.Status403Forbidden, "sign_up_closed",
                        "New accounts from single sign-on are off (ChatQnA:Accounts:ExternalSignUp); ask an admin.");
                }

                account = new Account
                {
                    UserName = await FreeUserNameAsync(request.Email ?? request.Name ?? subject, cancellationToken),
                    Email = string.IsNullOrWhiteSpace(request.Email) ? null : request.Email.Trim(),
                    DisplayName = string.IsNullOrWhiteSpace(request.Name) ? null : request.Name.Trim(),
                    Role = first || request.Admin ? AccountRoles.Admin : AccountRoles.Member,
                    Approved = first || request.Admin || mode == SignUpModes.Open,
                    CreatedAt = time.GetUtcNow(),
                    LockoutEnabled = true,
                };
                // One transaction: an account without its login could never be signed in to, and would hold its name.
                await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
                {
                    Check(await users.CreateAsync(account), null);
                    Check(await users.AddLoginAsync(account, new UserLoginInfo(issuer, subject, issuer)), null);
                    await transaction.CommitAsync(cancellationToken);
                }

                LogCreated(logger, account.Id, account.UserName, account.Role, account.Approved);
                if (first)
                {
                    await ClaimUnownedAsync(account.Id, cancellationToken);
                    await ClaimUnownedDocumentsAsync(account.Id, cancellationToken);
                }
            }
            else if (request.Admin && account.Role != AccountRoles.Admin)
            {
                // The identity provider says admin: follow it. Its absence does not demote (an admin may be made here).
                account.Role = AccountRoles.Admin;
                account.Approved = true;
                Check(await users.UpdateAsync(account), null);
                LogRoleSet(logger, account.Id, account.Role);
            }

            if (IsLocked(account))
            {
                throw LockedOut(account);
            }

            if (!account.Approved)
            {
                throw PendingApproval();
            }

            return ToRecord(account, external: true) with { SessionStamp = account.SecurityStamp };
        }
        finally
        {
            SignUpGate.Release();
        }
    }

    private async Task<string> FreeUserNameAsync(string wanted, CancellationToken cancellationToken)
    {
        var stem = new string([.. wanted.Trim().Where(c => char.IsAsciiLetterOrDigit(c) || c is '@' or '.' or '-' or '_')]);
        stem = stem.Length == 0 ? "user" : stem[..Math.Min(stem.Length, 64)];
        var name = stem;
        for (var n = 2; await users.FindByNameAsync(name) is not null; n++)
        {
            name = $"{stem}-{n}";
        }

        return name;
    }

    /// <summary>Makes a personal key; the returned secret is the only copy (only its SHA-256 is kept).</summary>
    public async Task<CreatedApiKey> CreateKeyAsync(string accountId, ApiKeyDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var name = draft.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > ConversationLimits.NameMaxLength)
        {
            throw AccountException.Of(StatusCodes.Status422UnprocessableEntity, "invalid_name",
                $"name is required, at most {ConversationLimits.NameMaxLength} characters.", "name");
        }

        var secret = KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new PersonalApiKey
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            AccountId = accountId,
            Name = name,
            Prefix = secret[..ShownPrefixLength],
            Hash = HashKey(secret),
            CreatedAt = time.GetUtcNow(),
        };
        db.PersonalApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        LogKeyCreated(logger, accountId, key.Id);
        return new CreatedApiKey { Record = ToRecord(key), Key = secret };
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string accountId, CancellationToken cancellationToken)
    {
        var keys = await db.PersonalApiKeys.AsNoTracking().Where(k => k.AccountId == accountId)
            .OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).ToListAsync(cancellationToken);
        return keys.ConvertAll(ToRecord);
    }

    /// <summary>Deletes the key: the next request with it is refused (keys are looked up on every request).</summary>
    public async Task<bool> RevokeKeyAsync(string accountId, Guid id, CancellationToken cancellationToken)
    {
        var deleted = await db.PersonalApiKeys.Where(k => k.Id == id && k.AccountId == accountId).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0)
        {
            LogKeyRevoked(logger, accountId, id);
        }

        return deleted > 0;
    }

    /// <summary>The active account a personal key acts as, or null; notes when the key was last used.</summary>
    public async Task<Account?> ResolveKeyAsync(string presented, CancellationToken cancellationToken)
    {
        var hash = HashKey(presented);
        var key = await db.PersonalApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, cancellationToken);
        if (key is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (key.LastUsedAt is not { } used || now - used >= LastUsedResolution)
        {
            await db.PersonalApiKeys.Where(k => k.Id == key.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(k => k.LastUsedAt, now), cancellationToken);
        }

        return await FindActiveAsync(key.AccountId, cancellationToken);
    }

    public static bool LooksLikePersonalKey(string? presented) => presented is not null && presented.StartsWith(KeyPrefix, StringComparison.Ordinal);

    internal static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private async Task ValidatePasswordAsync(Account account, string password, string field)
    {
        foreach (var validator in users.PasswordValidators)
        {
            Check(await validator.ValidateAsync(users, account, password), field);
        }
    }

    private async Task<Account> FindAsync(string id, CancellationToken cancellationToken) =>
        await db.Users.FirstOrDefaultAsync(u => u.Id == id, cancellationToken)
            ?? throw AccountException.Of(StatusCodes.Status404NotFound, "not_found", $"Account '{id}' not found.");

    private static AccountException LastAdmin() =>
        AccountException.Of(StatusCodes.Status409Conflict, "last_admin", "This is the only admin; make another admin first.");

    private Task<bool> HasLoginsAsync(string id, CancellationToken cancellationToken) => db.UserLogins.AnyAsync(l => l.UserId == id, cancellationToken);

    /// <summary>Identity's refusals (password rules, a taken user name) as a 422 naming the field.</summary>
    private static void Check(IdentityResult result, string? passwordField)
    {
        if (result.Succeeded)
        {
            return;
        }

        var error = result.Errors.First();
        var (code, field) = error.Code switch
        {
            "DuplicateUserName" => ("user_name_taken", "user_name"),
            "InvalidUserName" => ("invalid_user_name", "user_name"),
            "DuplicateEmail" or "InvalidEmail" => ("invalid_email", "email"),
            _ when error.Code.StartsWith("Password", StringComparison.Ordinal) => ("invalid_password", passwordField),
            _ => ("invalid_request", null),
        };
        var status = code == "user_name_taken" ? StatusCodes.Status409Conflict : StatusCodes.Status422UnprocessableEntity;
        throw AccountException.Of(status, code, string.Join(" ", result.Errors.Select(e => e.Description)), field);
    }

    private static AccountException InvalidCredentials(int? attemptsLeft) => new(StatusCodes.Status401Unauthorized, new AccountError
    {
        Detail = "The user name or password is not right.",
        Code = "invalid_credentials",
        AttemptsLeft = attemptsLeft,
    });

    private static AccountException LockedOut(Account account) => new(StatusCodes.Status401Unauthorized, new AccountError
    {
        Detail = account.LockoutEnd == DateTimeOffset.MaxValue
            ? "This account is locked by an admin."
            : "Too many failed sign-ins: this account is locked for a while.",
        Code = "locked_out",
        LockedUntil = account.LockoutEnd,
    });

    private static AccountException PendingApproval() =>
        AccountException.Of(StatusCodes.Status403Forbidden, "pending_approval", "This account waits for an admin's approval.");

    internal static AccountRecord ToRecord(Account account, bool external) => new()
    {
        Id = account.Id,
        UserName = account.UserName ?? string.Empty,
        DisplayName = account.DisplayName,
        Email = account.Email,
        Role = account.Role,
        Approved = account.Approved,
        LockedUntil = account.LockoutEnd is { } end && end > DateTimeOffset.UtcNow ? end : null,
        External = external,
        CreatedAt = account.CreatedAt,
    };

    private static ApiKeyRecord ToRecord(PersonalApiKey key) => new()
    {
        Id = key.Id.ToString(),
        Name = key.Name,
        Prefix = key.Prefix,
        CreatedAt = key.CreatedAt,
        LastUsedAt = key.LastUsedAt,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} ({UserName}) made: role {Role}, approved {Approved}")]
    private static partial void LogCreated(ILogger logger, string accountId, string? userName, string role, bool approved);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversations ({Conversations}) and prompts ({Prompts}) from before accounts now belong to {AccountId}")]
    private static partial void LogClaimed(ILogger logger, string accountId, int conversations, int prompts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in refused: {Reason}")]
    private static partial void LogSignInFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in refused: account {AccountId} is locked")]
    private static partial void LogSignInLocked(ILogger logger, string accountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {AccountId} locked after repeated failed sign-ins")]
    private static partial void LogLockedOut(ILogger logger, string accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Password of account {AccountId} changed {How}")]
    private static partial void LogPasswordChanged(ILogger logger, string accountId, string how);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} approved")]
    private static partial void LogApproved(ILogger logger, string accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} now has role {Role}")]
    private static partial void LogRoleSet(ILogger logger, string accountId, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Collection {Collection} from before accounts ({Documents} documents) now belongs to {AccountId}")]
    private static partial void LogDocumentsClaimed(ILogger logger, string accountId, string collection, int documents);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collection {Collection} from before accounts stays shared: {Unfinished} of its documents are still being ingested")]
    private static partial void LogDocumentsNotClaimed(ILogger logger, string collection, int unfinished);

    [LoggerMessage(Level = LogLevel.Error, Message = "Collections from before accounts stay shared: the document store failed")]
    private static partial void LogDocumentsClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} deleted with {Conversations} conversations, {Prompts} prompts and {Documents} documents")]
    private static partial void LogDeleted(ILogger logger, string accountId, int conversations, int prompts, int documents);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} locked: {Locked}")]
    private static partial void LogLockSet(ILogger logger, string accountId, bool locked);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} made personal key {KeyId}")]
    private static partial void LogKeyCreated(ILogger logger, string accountId, Guid keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} revoked personal key {KeyId}")]
    private static partial void LogKeyRevoked(ILogger logger, string accountId, Guid keyId);
}
