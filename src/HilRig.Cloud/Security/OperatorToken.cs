using System.Security.Cryptography;
using System.Text;

namespace HilRig.Cloud.Security;

/// <summary>
/// An operator's bearer token: <c>hilrig_</c> + a 16-hex-digit id + <c>_</c> + 43 base64url characters of secret
/// (32 random bytes). The id finds the stored record (and names the token in lists and logs without revealing it);
/// the cloud keeps only the SHA-256 of the whole token. A fast hash is right here: a password hash slows down guessing
/// a low-entropy secret, and 256 random bits cannot be guessed at any speed.
/// </summary>
public static class OperatorToken
{
    public const string Prefix = "hilrig_";
    private const int IdLength = 16;
    private const int SecretLength = 43;

    /// <summary>A new token and the record to store for it.</summary>
    public static (string Token, StoredToken Record) New(OperatorRole roles, string name, DateTimeOffset now)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = $"{Prefix}{id}_{secret}";
        return (token, new StoredToken(id, Hash(token), roles, name, now));
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The token's id, or null with <paramref name="problem"/> saying what is wrong with its form.</summary>
    public static string? IdOf(string token, out string? problem)
    {
        problem = null;
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
            problem = $"a HilRig token starts with '{Prefix}'";
        else if (token.Length != Prefix.Length + IdLength + 1 + SecretLength || token[Prefix.Length + IdLength] != '_')
            problem = $"a HilRig token is {Prefix.Length + IdLength + 1 + SecretLength} characters: '{Prefix}', {IdLength} hex digits, '_', {SecretLength} base64url characters";
        else if (token.AsSpan(Prefix.Length, IdLength).ContainsAnyExcept("0123456789abcdef"))
            problem = "the token's id is not lower-case hex";
        else if (token.AsSpan(Prefix.Length + IdLength + 1).ContainsAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
            problem = "the token's secret is not base64url";
        return problem is null ? token.Substring(Prefix.Length, IdLength) : null;
    }

    /// <summary>Whether <paramref name="token"/> is the one <paramref name="stored"/> was made from (constant time).</summary>
    public static bool Matches(string token, StoredToken stored) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(token)), Encoding.ASCII.GetBytes(stored.Sha256));
}
