using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace OpeaChat.ServiceDefaults.Security;

/// <summary>
/// How every OpeaChat service reads and compares an API key: <c>Authorization: Bearer KEY</c>, compared in constant
/// time over SHA-256 hashes (so neither the content nor the length of a key leaks through timing).
/// </summary>
public static class ApiKeys
{
    public static string? BearerToken(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    public static bool Matches(IEnumerable<string> keys, string? presented)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var matched = false;
        foreach (var key in keys)
        {
            // No early exit: every configured key is compared.
            matched |= !string.IsNullOrEmpty(key) && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(key)), hash);
        }

        return matched;
    }

    /// <summary>A short, non-reversible name for a key (for rate-limit partitions and logs).</summary>
    public static string Fingerprint(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
}
