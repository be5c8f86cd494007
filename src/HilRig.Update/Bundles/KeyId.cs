using System.Security.Cryptography;

namespace HilRig.Update.Bundles;

/// <summary>
/// A key's id is derived from the key (the first 16 bytes of the SHA-256 of its SubjectPublicKeyInfo, in hex), so an
/// id can never be bound to a different key by editing a file.
/// </summary>
public static class KeyId
{
    public static string Of(byte[] subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo).AsSpan(0, 16));

    public static string Of(ECDsa key) => Of(key.ExportSubjectPublicKeyInfo());

    public static string Of(ECDiffieHellman key) => Of(key.ExportSubjectPublicKeyInfo());
}
