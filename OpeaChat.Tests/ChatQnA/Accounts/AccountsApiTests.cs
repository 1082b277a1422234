using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpeaChat.ChatQnA.Data;
using OpeaChat.Tests.Infrastructure;

namespace OpeaChat.Tests.ChatQnA.Accounts;

/// <summary>Accounts, personal keys and ownership over real HTTP; run on SQLite and on PostgreSQL.</summary>
public abstract class AccountsApiTests : AccountsTestBase
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task The_first_account_becomes_the_admin_and_later_ones_are_members()
    {
        var gateway = await StartAsync();
        var before = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/status");
        Assert.True(before.GetProperty("enabled").GetBoolean());
        Assert.False(before.GetProperty("admin_exists").GetBoolean());

        var alice = await gateway.SignUpAsync("alice");
        var bob = await gateway.SignUpAsync("bob");

        Assert.True((await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/status")).GetProperty("admin_exists").GetBoolean());
        var me = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/me", user: alice);
        Assert.Equal("admin", me.GetProperty("role").GetString());
        var bobs = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/me", user: bob);
        Assert.Equal("member", bobs.GetProperty("role").GetString());
        Assert.True(bobs.GetProperty("approved").GetBoolean());

        // Members do not manage accounts; the admin does.
        var refused = await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, "/v1/accounts", user: bob);
        Assert.Equal("admin_required", refused.GetProperty("code").GetString());
        var list = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts", user: alice);
        Assert.Equal(["alice", "bob"], list.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("user_name").GetString()));
        Assert.DoesNotContain("password", list.ToString(), StringComparison.OrdinalIgnoreCase);

        // Only the web (forwarder key, no person) signs people up; a service key cannot.
        var service = await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/accounts/sign-up", new { user_name = "eve", password = Password }, key: ServiceKey);
        Assert.Equal("forwarder_required", service.GetProperty("code").GetString());

        // The last admin cannot be demoted.
        var last = await gateway.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Put, $"/v1/accounts/{alice}/role", new { role = "member" }, user: alice);
        Assert.Equal("last_admin", last.GetProperty("code").GetString());
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/v1/accounts/{bob}/role", new { role = "admin" }, user: alice);
        Assert.Equal("admin", (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/me", user: bob)).GetProperty("role").GetString());
    }

    [Fact]
    public async Task Closed_sign_up_refuses_everyone_after_the_admin()
    {
        var gateway = await StartAsync(("Accounts:SignUp", "closed"));
        await gateway.SignUpAsync("admin");
        var refused = await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/accounts/sign-up", new { user_name = "bob", password = Password });
        Assert.Equal("sign_up_closed", refused.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.SignInAsync("bob", Password)).Status);
    }

    [Fact]
    public async Task Approval_sign_up_waits_for_the_admin()
    {
        var gateway = await StartAsync(("Accounts:SignUp", "approval"));
        var admin = await gateway.SignUpAsync("admin");
        var bob = await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/accounts/sign-up", new { user_name = "bob", password = Password });
        Assert.False(bob.GetProperty("approved").GetBoolean());
        var bobId = bob.GetProperty("id").GetString()!;

        var (status, pending) = await gateway.SignInAsync("bob", Password);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("pending_approval", pending.GetProperty("code").GetString());
        // A session for an unapproved account is not honoured either.
        await gateway.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/conversations", user: bobId);

        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/accounts/{bobId}/approve", user: admin);
        Assert.Equal(HttpStatusCode.OK, (await gateway.SignInAsync("bob", Password)).Status);
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: bobId);
    }

    [Fact]
    public async Task Repeated_wrong_passwords_lock_the_account_until_an_admin_unlocks_it()
    {
        var gateway = await StartAsync(("Accounts:MaxFailedAttempts", "3"), ("Accounts:LockoutDuration", "01:00:00"));
        var admin = await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");

        var (first, wrong) = await gateway.SignInAsync("bob", "not the password");
        Assert.Equal(HttpStatusCode.Unauthorized, first);
        Assert.Equal("invalid_credentials", wrong.GetProperty("code").GetString());
        Assert.Equal(2, wrong.GetProperty("attempts_left").GetInt32());
        await gateway.SignInAsync("bob", "not the password");
        var (third, locked) = await gateway.SignInAsync("bob", "not the password");
        Assert.Equal(HttpStatusCode.Unauthorized, third);
        Assert.Equal("locked_out", locked.GetProperty("code").GetString());
        Assert.True(locked.GetProperty("locked_until").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(30));

        // The right password does not get through a lockout, and the locked person's session stops too.
        var (right, stillLocked) = await gateway.SignInAsync("bob", Password);
        Assert.Equal(HttpStatusCode.Unauthorized, right);
        Assert.Equal("locked_out", stillLocked.GetProperty("code").GetString());
        await gateway.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/conversations", user: bob);

        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/accounts/{bob}/unlock", user: admin);
        var (unlocked, account) = await gateway.SignInAsync("bob", Password);
        Assert.Equal(HttpStatusCode.OK, unlocked);
        Assert.Equal(bob, account.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_person_changes_their_password_and_an_admin_can_set_a_new_one()
    {
        var gateway = await StartAsync();
        var admin = await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");

        var wrong = await gateway.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Post, "/v1/accounts/me/password",
            new { current_password = "nope", new_password = "a new long password" }, user: bob);
        Assert.Equal("current_password", wrong.GetProperty("field").GetString());
        var weak = await gateway.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, "/v1/accounts/me/password",
            new { current_password = Password, new_password = "short" }, user: bob);
        Assert.Equal("invalid_password", weak.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await gateway.SignInAsync("bob", Password)).Status);

        var (_, session) = await gateway.SignInAsync("bob", Password);
        var oldStamp = session.GetProperty("session_stamp").GetString()!;
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: bob, session: oldStamp);
        await gateway.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, "/v1/accounts/me/password",
            new { current_password = Password, new_password = "a new long password" }, user: bob, session: oldStamp);
        // Every session from before the change ends; a new sign-in gets the new stamp.
        await gateway.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/conversations", user: bob, session: oldStamp);
        var newStamp = (await gateway.SignInAsync("bob", "a new long password")).Json.GetProperty("session_stamp").GetString()!;
        Assert.NotEqual(oldStamp, newStamp);
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: bob, session: newStamp);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.SignInAsync("bob", Password)).Status);
        Assert.Equal(HttpStatusCode.OK, (await gateway.SignInAsync("bob", "a new long password")).Status);

        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, $"/v1/accounts/{admin}/password", new { new_password = "taken over!!" }, user: bob);
        await gateway.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, $"/v1/accounts/{bob}/password", new { new_password = "set by the admin" }, user: admin);
        Assert.Equal(HttpStatusCode.OK, (await gateway.SignInAsync("bob", "set by the admin")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.SignInAsync("bob", "a new long password")).Status);
    }

    [Fact]
    public async Task A_refused_session_names_its_code_in_a_header_on_every_path_and_a_wrong_key_does_not()
    {
        var gateway = await StartAsync();
        await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");

        // OPEA-shaped paths ({"detail"}) carry no code in the body: the web tells an ended session by this header.
        async Task<string?> RefusalAsync(string path, string key = ForwarderKey, string? user = null, string? session = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            if (user is not null)
            {
                request.Headers.Add("OpeaChat-User", user);
            }

            if (session is not null)
            {
                request.Headers.Add("OpeaChat-Session", session);
            }

            using var response = await gateway.Host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            return response.Headers.TryGetValues("OpeaChat-Refusal", out var values) ? Assert.Single(values) : null;
        }

        Assert.Equal("invalid_user", await RefusalAsync("/v1/conversations", user: bob, session: "an old stamp"));
        Assert.Equal("invalid_user", await RefusalAsync("/v1/accounts/me", user: bob, session: "an old stamp"));
        Assert.Equal("invalid_user", await RefusalAsync("/v1/models", user: "nobody-by-this-id"));
        Assert.Equal("person_required", await RefusalAsync("/v1/conversations"));
        Assert.Null(await RefusalAsync("/v1/conversations", key: "not-a-key", user: bob));
    }

    [Fact]
    public async Task A_personal_key_acts_as_its_person_and_stops_at_once_when_revoked()
    {
        var gateway = await StartAsync();
        await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");

        var created = await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/accounts/me/keys", new { name = "laptop" }, user: bob);
        var key = created.GetProperty("key").GetString()!;
        var keyId = created.GetProperty("record").GetProperty("id").GetString()!;
        Assert.StartsWith("ocp_", key, StringComparison.Ordinal);
        Assert.True(key.Length > 40);

        // With the key alone: a conversation that is bob's (the web, as bob, sees it; the service space does not).
        var conversation = await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/conversations", new { title = "from the key" }, key: key);
        var id = conversation.GetProperty("id").GetString();
        var bobs = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: bob);
        Assert.Equal([id], bobs.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        var service = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", key: ServiceKey);
        Assert.Equal(0, service.GetProperty("total").GetInt32());
        Assert.Equal("bob", (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/me", key: key)).GetProperty("user_name").GetString());

        // The list shows name, prefix and last use, never the key; a key cannot make keys.
        var list = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/me/keys", user: bob);
        var listed = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal("laptop", listed.GetProperty("name").GetString());
        Assert.StartsWith(listed.GetProperty("prefix").GetString()!, key, StringComparison.Ordinal);
        Assert.NotEqual(JsonValueKind.Undefined, listed.GetProperty("last_used_at").ValueKind);
        Assert.DoesNotContain(key, list.ToString(), StringComparison.Ordinal);
        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/accounts/me/keys", new { name = "more" }, key: key);

        await gateway.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/accounts/me/keys/{keyId}", user: bob);
        var refused = await gateway.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/conversations", key: key);
        Assert.Contains("not valid", refused.ToString(), StringComparison.Ordinal);
        await gateway.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/conversations", key: "ocp_" + new string('x', 43));
    }

    [Fact]
    public async Task Another_persons_ids_answer_404_everywhere_and_change_nothing()
    {
        var gateway = await StartAsync();
        var alice = await gateway.SignUpAsync("alice");
        var bob = await gateway.SignUpAsync("bob");
        var bobKey = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/accounts/me/keys", new { name = "k" }, user: bob)).GetProperty("key").GetString()!;

        const string Import = """{"conversation": {"title": "alice's secret plans"}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "role": "user", "content": "the password is swordfish"}, {"id": "22222222-2222-2222-2222-222222222222", "parent_id": "11111111-1111-1111-1111-111111111111", "role": "assistant", "content": "noted"}]}""";
        var c = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/conversations/import", Import, user: alice)).GetProperty("id").GetString();
        var tree = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/conversations/{c}/messages", user: alice);
        var ids = tree.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        var (u1, a1) = (ids[0], ids[1]);
        var p = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/prompts", new { id = "alices-prompt", name = "Alice's", text = "Only for {who}." }, user: alice))
            .GetProperty("id").GetString();
        var before = await SnapshotAsync(gateway, alice, c!, p!);

        (HttpMethod Method, string Path, object? Body)[] endpoints =
        [
            (HttpMethod.Get, $"/v1/conversations/{c}", null),
            (HttpMethod.Patch, $"/v1/conversations/{c}", new { title = "taken" }),
            (HttpMethod.Delete, $"/v1/conversations/{c}", null),
            (HttpMethod.Get, $"/v1/conversations/{c}/messages", null),
            (HttpMethod.Patch, $"/v1/conversations/{c}/messages/{u1}", new { content = "changed" }),
            (HttpMethod.Post, $"/v1/conversations/{c}/messages/{u1}/activate", null),
            (HttpMethod.Get, $"/v1/conversations/{c}/export?format=json", null),
            (HttpMethod.Get, $"/v1/conversations/{c}/export?format=markdown", null),
            (HttpMethod.Post, $"/v1/conversations/{c}/messages/{a1}/regenerate", new { }),
            (HttpMethod.Get, $"/v1/conversations/{c}/messages/{a1}/stream", null),
            (HttpMethod.Post, $"/v1/conversations/{c}/messages/{a1}/stop", null),
            (HttpMethod.Post, "/v1/chatqna", new { messages = "and now?", conversation_id = c }),
            (HttpMethod.Post, "/v1/chat/completions", new { model = "m", messages = new[] { new { role = "user", content = "and now?" } }, conversation_id = c }),
            (HttpMethod.Get, $"/v1/prompts/{p}", null),
            (HttpMethod.Put, $"/v1/prompts/{p}", new { name = "taken", text = "mine now" }),
            (HttpMethod.Delete, $"/v1/prompts/{p}", null),
            (HttpMethod.Post, $"/v1/prompts/{p}/render", new { variables = new { who = "bob" } }),
        ];
        foreach (var (method, path, body) in endpoints)
        {
            foreach (var (key, user) in new[] { (ForwarderKey, (string?)bob), (bobKey, null) })
            {
                var (status, json) = await gateway.SendAsync(method, path, body, key, user);
                Assert.True(status == HttpStatusCode.NotFound, $"{method} {path} as bob ({(user is null ? "key" : "session")}): {(int)status} {json}");
                Assert.DoesNotContain("swordfish", json.ToString(), StringComparison.Ordinal);
            }
        }

        // Lists and search show bob nothing of alice's.
        var search = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations?search=swordfish", user: bob);
        Assert.Equal(0, search.GetProperty("total").GetInt32());
        var prompts = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts", user: bob);
        Assert.DoesNotContain(prompts.GetProperty("data").EnumerateArray(), prompt => prompt.GetProperty("id").GetString() == p);
        // Alice's prompt is not bob's to use in a conversation either.
        await gateway.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, "/v1/conversations", new { prompt_id = p }, user: bob);

        Assert.Equal(before, await SnapshotAsync(gateway, alice, c!, p!));
        Assert.Equal(1, (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations?search=swordfish", user: alice)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Deleting_an_account_removes_all_it_owns_in_one_go_and_keeps_everyone_elses()
    {
        var gateway = await StartAsync();
        var admin = await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");
        var carol = await gateway.SignUpAsync("carol");
        const string Import = """{"conversation": {"title": "bob's chat"}, "messages": [{"id": "11111111-1111-1111-1111-111111111111", "role": "user", "content": "hello"}, {"id": "22222222-2222-2222-2222-222222222222", "parent_id": "11111111-1111-1111-1111-111111111111", "role": "assistant", "content": "hi"}]}""";
        var bobsChat = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/conversations/import", Import, user: bob)).GetProperty("id").GetGuid();
        await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/prompts", new { id = "bobs-prompt", name = "Bob's", text = "Hi {who}." }, user: bob);
        var bobsKey = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/accounts/me/keys", new { name = "k" }, user: bob)).GetProperty("key").GetString()!;
        var carolsChat = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/conversations", new { title = "carol's" }, user: carol)).GetProperty("id").GetGuid();
        await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/prompts", new { id = "team", name = "Team", text = "We are a team.", shared = true }, user: admin);

        // Refused, and nothing changes: the only admin, a member deleting someone else, a key erasing its person, no such account.
        var last = await gateway.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, "/v1/accounts/me", user: admin);
        Assert.Equal("last_admin", last.GetProperty("code").GetString());
        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Delete, $"/v1/accounts/{carol}", user: bob);
        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Delete, "/v1/accounts/me", key: bobsKey);
        await gateway.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, "/v1/accounts/nobody", user: admin);
        Assert.Equal((2, 1, 1, 4), await RowsOfAsync(gateway, bob, bobsChat));

        await gateway.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/accounts/{bob}", user: admin);
        Assert.Equal((0, 0, 0, 0), await RowsOfAsync(gateway, bob, bobsChat));
        await gateway.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/conversations", key: bobsKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.SignInAsync("bob", Password)).Status);
        var (status, _) = await gateway.SendAsync(HttpMethod.Get, $"/v1/conversations/{bobsChat}", user: bob);
        Assert.NotEqual(HttpStatusCode.OK, status);
        var accounts = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts", user: admin);
        Assert.DoesNotContain(accounts.GetProperty("data").EnumerateArray(), account => account.GetProperty("id").GetString() == bob);
        Assert.Equal("carol's", (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/conversations/{carolsChat}", user: carol)).GetProperty("title").GetString());

        // A person deletes their own account from a signed-in session.
        await gateway.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, "/v1/accounts/me", user: carol);
        Assert.Equal((0, 0, 0, 0), await RowsOfAsync(gateway, carol));

        // An admin's shared prompt stays for the team: it passes to the next admin.
        var dave = await gateway.SignUpAsync("dave");
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/v1/accounts/{dave}/role", new { role = "admin" }, user: admin);
        await gateway.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/accounts/{admin}", user: dave);
        var team = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts/team", user: dave);
        Assert.False(team.GetProperty("read_only").GetBoolean());
        Assert.Equal((0, 0, 0, 0), await RowsOfAsync(gateway, admin));
    }

    /// <summary>What the database holds of an account: messages (of its conversations, or of <paramref name="conversation"/>), prompts, keys, and those with its conversations and its own row.</summary>
    private static async Task<(int Messages, int Prompts, int Keys, int Total)> RowsOfAsync(Gateway gateway, string accountId, Guid? conversation = null)
    {
        var contexts = gateway.Host.Services.GetRequiredService<IDbContextFactory<ConversationsDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var conversations = await db.Conversations.CountAsync(c => c.OwnerId == accountId);
        var messages = await db.Messages.CountAsync(m => m.ConversationId == conversation || db.Conversations.Any(c => c.Id == m.ConversationId && c.OwnerId == accountId));
        var prompts = await db.Prompts.CountAsync(p => p.OwnerId == accountId);
        var keys = await db.PersonalApiKeys.CountAsync(k => k.AccountId == accountId);
        var account = await db.Users.CountAsync(u => u.Id == accountId);
        return (messages, prompts, keys, conversations + account + prompts + keys);
    }

    private static async Task<string> SnapshotAsync(Gateway gateway, string user, string conversation, string prompt) =>
        (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/conversations/{conversation}", user: user)).ToString()
        + (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/conversations/{conversation}/messages", user: user))
        + (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/prompts/{prompt}", user: user));

    [Fact]
    public async Task A_shared_prompt_is_read_by_everyone_and_changed_by_admins_only()
    {
        var gateway = await StartAsync();
        var admin = await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");

        var refused = await gateway.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, "/v1/prompts", new { name = "Bob's", text = "x", shared = true }, user: bob);
        Assert.Contains("admin", refused.ToString(), StringComparison.Ordinal);
        var shared = await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/prompts", new { id = "team", name = "Team", text = "We are a team.", shared = true }, user: admin);
        Assert.True(shared.GetProperty("shared").GetBoolean());

        var read = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts/team", user: bob);
        Assert.Equal("We are a team.", read.GetProperty("text").GetString());
        Assert.True(read.GetProperty("read_only").GetBoolean());
        var list = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts", user: bob);
        Assert.Contains(list.GetProperty("data").EnumerateArray(), prompt => prompt.GetProperty("id").GetString() == "team");
        await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/conversations", new { prompt_id = "team" }, user: bob);

        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Put, "/v1/prompts/team", new { name = "Mine", text = "Bob's now." }, user: bob);
        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Delete, "/v1/prompts/team", user: bob);
        Assert.Equal("We are a team.", (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts/team", user: admin)).GetProperty("text").GetString());

        Assert.False((await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts/team", user: admin)).GetProperty("read_only").GetBoolean());
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, "/v1/prompts/team", new { name = "Team", text = "We are one team." }, user: admin);
        Assert.Equal("We are one team.", (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts/team", user: bob)).GetProperty("text").GetString());
    }

    [Fact]
    public async Task Only_admins_pull_cancel_or_delete_models()
    {
        var gateway = await StartAsync();
        var admin = await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");

        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Post, "/v1/models/pull", new { model = "hf.co/org/repo:Q4_K_M", stream = false }),
            (HttpMethod.Delete, "/v1/models/pulls/repo-Q4_K_M", null),
            (HttpMethod.Delete, "/v1/models/stories260K?force=true", null),
        })
        {
            var refused = await gateway.ExpectAsync(HttpStatusCode.Forbidden, method, path, body, user: bob);
            Assert.Equal("admin_only", refused.GetProperty("error").GetProperty("code").GetString());

            // The admin passes the gate (inference then answers for itself).
            var (status, _) = await gateway.SendAsync(method, path, body, user: admin);
            Assert.NotEqual(HttpStatusCode.Forbidden, status);
        }
    }

    [Fact]
    public async Task Rate_limits_count_per_person_and_the_user_header_needs_the_forwarder_key()
    {
        var gateway = await StartAsync(("RateLimit:BurstLimit", "2"), ("RateLimit:RequestsPerSecond", "1"));
        var alice = await gateway.SignUpAsync("alice");
        var bob = await gateway.SignUpAsync("bob");
        var bobKey = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/accounts/me/keys", new { name = "k" }, user: bob)).GetProperty("key").GetString()!;

        // Bob's session and bob's key share one bucket (the key creation above took one token of it).
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts", key: bobKey);
        await gateway.ExpectAsync(HttpStatusCode.TooManyRequests, HttpMethod.Get, "/v1/prompts", user: bob);
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts", user: alice);

        // With a service key the header names nobody: the call lands in the service space, not in alice's.
        await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/conversations", new { title = "service's" }, key: ServiceKey, user: alice);
        Assert.Equal(0, (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: alice)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task The_web_key_naming_nobody_reaches_the_account_api_only()
    {
        var gateway = await StartAsync();
        var alice = await gateway.SignUpAsync("alice");
        await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/conversations", new { title = "alice's" }, user: alice);

        // Without a person the web's key is for signing people in; no data call lands anywhere, the service space included.
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/v1/conversations"), (HttpMethod.Get, "/v1/prompts"), (HttpMethod.Post, "/v1/conversations"), (HttpMethod.Get, "/v1/models") })
        {
            var refused = await gateway.ExpectAsync(HttpStatusCode.Unauthorized, method, path, method == HttpMethod.Post ? new { title = "nobody's" } : null);
            Assert.Contains("must name the signed-in person (OpeaChat-User)", refused.ToString(), StringComparison.Ordinal);
        }

        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/status");
        Assert.Equal(0, (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", key: ServiceKey)).GetProperty("total").GetInt32());
        Assert.Equal(1, (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: alice)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Single_sign_on_makes_the_account_once_and_maps_the_admin_claim()
    {
        var gateway = await StartAsync(("Accounts:SignUp", "closed"));
        await gateway.SignUpAsync("admin");
        var sso = new { issuer = "https://idp.example", subject = "sub-1", email = "carol@example.com", name = "Carol", admin = false };

        var first = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/accounts/external", sso);
        var again = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/accounts/external", sso);
        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        Assert.Equal("member", first.GetProperty("role").GetString());
        Assert.True(first.GetProperty("external").GetBoolean());
        Assert.Equal("carol@example.com", first.GetProperty("user_name").GetString());

        var dave = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/v1/accounts/external",
            new { issuer = "https://idp.example", subject = "sub-2", name = "Dave", admin = true });
        Assert.Equal("admin", dave.GetProperty("role").GetString());
        // Only the web may vouch for an identity provider's answer.
        await gateway.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/v1/accounts/external", sso, key: ServiceKey);
        await gateway.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, "/v1/accounts/external", new { issuer = "https://idp.example" });
    }
}

[Collection(InProcessHostCollection.Name)]
public sealed class SqliteAccountsApiTests : AccountsApiTests
{
    protected override Task<(string DataDirectory, (string Key, string? Value)[] Settings)> StoreAsync() =>
        Task.FromResult((NewDirectory().Path, Array.Empty<(string, string?)>()));

    [Fact]
    public async Task Passwords_and_keys_are_never_in_the_database_or_the_logs_in_clear()
    {
        var directory = NewDirectory();
        var gateway = Start(directory.Path);
        const string Secret = "Zebra-Quokka-7781-secret";
        var admin = await gateway.SignUpAsync("admin", Secret);
        Assert.Equal(HttpStatusCode.OK, (await gateway.SignInAsync("admin", Secret)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.SignInAsync("admin", Secret + "-wrong")).Status);
        await gateway.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Post, "/v1/accounts/me/password", new { current_password = Secret, new_password = Secret + "-2" }, user: admin);
        var key = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/accounts/me/keys", new { name = "k" }, user: admin)).GetProperty("key").GetString()!;
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", key: key);
        gateway.Host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var files = Directory.GetFiles(directory.Path, "opeachat.db*");
        Assert.NotEmpty(files);
        var stored = string.Concat(files.Select(file => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file))));
        Assert.Contains("admin", stored, StringComparison.Ordinal); // The file was read: the account is in it.
        var logs = string.Join('\n', Logs);
        Assert.Contains("Account", logs, StringComparison.Ordinal); // The logs were captured.
        foreach (var secret in new[] { Secret, Secret + "-2", Secret + "-wrong", key, key[8..] })
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_single_user_database_belongs_to_the_first_admin_after_the_upgrade()
    {
        var directory = NewDirectory();
        string conversation;
        using (var local = GatewayHost.Start(GatewayHost.Nowhere(), directory.Path, ("Logging:LogLevel:Default", "Warning")))
        {
            conversation = (await local.Client.PostJsonAsyncLocal("/v1/conversations", new { title = "from before accounts" })).GetProperty("id").GetString()!;
            await local.Client.PostJsonAsyncLocal("/v1/prompts", new { id = "old-prompt", name = "Old", text = "Kept." });
        }

        var gateway = Start(directory.Path);
        var admin = await gateway.SignUpAsync("admin");
        var bob = await gateway.SignUpAsync("bob");
        var admins = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: admin);
        Assert.Equal([conversation], admins.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/prompts/old-prompt", user: admin);
        Assert.Equal(0, (await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: bob)).GetProperty("total").GetInt32());
        await gateway.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, "/v1/prompts/old-prompt", user: bob);
    }

    [Fact]
    public async Task Local_mode_keeps_one_owner_and_ignores_the_user_header()
    {
        using var directory = new Conversations.TempDirectory();
        using var host = GatewayHost.Start(GatewayHost.Nowhere(), directory.Path, ("ForwarderApiKeys:0", ForwarderKey), ("Logging:LogLevel:Default", "Warning"));
        var gateway = new Gateway(host);
        var status = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/accounts/status");
        Assert.False(status.GetProperty("enabled").GetBoolean());
        var off = await gateway.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, "/v1/accounts/sign-up", new { user_name = "a", password = "correct horse battery" });
        Assert.Equal("accounts_disabled", off.GetProperty("code").GetString());

        var id = (await gateway.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/conversations", new { title = "t" }, user: "someone")).GetProperty("id").GetString();
        var seen = await gateway.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/conversations", user: "someone-else");
        Assert.Equal([id], seen.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAccountsApiTests(PostgresServer server) : AccountsApiTests
{
    protected override async Task<(string DataDirectory, (string Key, string? Value)[] Settings)> StoreAsync() =>
        (NewDirectory().Path, [("ConnectionStrings:conversations", await server.CreateDatabaseAsync("accounts"))]);

    /// <summary>The test server has no pgvector; documents are not what these tests are about, so they stay in SQLite.</summary>
    protected override void ConfigureServices(IServiceCollection services, string dataDirectory) =>
        services.AddSingleton<OpeaChat.ChatQnA.Retrieval.IDocumentStore>(provider => new OpeaChat.ChatQnA.Retrieval.Store.SqliteDocumentStore(
            Path.Combine(dataDirectory, "documents.db"), TimeProvider.System, NullLogger<OpeaChat.ChatQnA.Retrieval.Store.SqliteDocumentStore>.Instance));
}

internal static class LocalHttp
{
    public static async Task<JsonElement> PostJsonAsyncLocal(this HttpClient client, string path, object body)
    {
        using var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(client, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {(int)response.StatusCode} {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
