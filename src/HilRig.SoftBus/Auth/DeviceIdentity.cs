using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace HilRig.SoftBus.Auth;

/// <summary>
/// A device's soft-bus identity: its UDID (64 uppercase hex characters, random and persisted, as softbus_lite's) and
/// its long-term Ed25519 key, which peers store when they bind and check at every later login.
/// </summary>
public sealed class DeviceIdentity
{
    private readonly Ed25519PrivateKeyParameters _key;

    private DeviceIdentity(string udid, Ed25519PrivateKeyParameters key)
    {
        Udid = udid;
        _key = key;
        PublicKey = key.GeneratePublicKey().GetEncoded();
    }

    public string Udid { get; }

    public byte[] PublicKey { get; }

    public static DeviceIdentity Create()
    {
        var random = new SecureRandom();
        return new DeviceIdentity(Convert.ToHexString(SecureRandom.GetNextBytes(random, 32)), new Ed25519PrivateKeyParameters(random));
    }

    /// <summary>Loads <c>identity.json</c> from <paramref name="directory"/>, creating it (durably) the first time.</summary>
    public static DeviceIdentity LoadOrCreate(string directory)
    {
        var path = Path.Combine(directory, "identity.json");
        if (File.Exists(path))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            return new DeviceIdentity(root.GetProperty("udid").GetString()!, new Ed25519PrivateKeyParameters(Convert.FromBase64String(root.GetProperty("ed25519").GetString()!), 0));
        }
        var identity = Create();
        Durable.Write(path, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["udid"] = identity.Udid,
            ["ed25519"] = Convert.ToBase64String(identity._key.GetEncoded()),
        }, SoftBusJson.Default.DictionaryStringString));
        return identity;
    }

    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _key);
        signer.BlockUpdate(message);
        return signer.GenerateSignature();
    }

    public static bool Verify(byte[] publicKey, ReadOnlySpan<byte> message, byte[] signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64) return false;
        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(publicKey, 0));
        verifier.BlockUpdate(message);
        return verifier.VerifySignature(signature);
    }
}

/// <summary>Writes a file so a power cut leaves the old or the new content, never half: temp file, fsync, rename.</summary>
internal static class Durable
{
    public static void Write(string path, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            f.Write(content);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
