using System.Security.Cryptography;

namespace HilRig.AbUpdate;

/// <summary>Why a slot's root is not trusted, as boot control records it.</summary>
public sealed record RootCheck(bool Ok, BadReason Reason, string Detail)
{
    public static readonly RootCheck Trusted = new(true, BadReason.None, "");
}

/// <summary>
/// The release keys a boot trusts to sign slot roots (ECDSA P-256 public keys), from a PEM file of one or more
/// <c>PUBLIC KEY</c> blocks — the role of RAUC's keyring or the kernel's trusted keyring for dm-verity root-hash
/// signatures. Only public keys: the private half stays with whoever builds releases (<see cref="ReleaseSigner"/>).
/// </summary>
public sealed class ReleaseKeyring
{
    private readonly Dictionary<Digest, byte[]> _keys;

    public ReleaseKeyring(IEnumerable<byte[]> subjectPublicKeyInfos)
    {
        _keys = new Dictionary<Digest, byte[]>();
        foreach (var spki in subjectPublicKeyInfos) _keys[KeyIdOf(spki)] = spki;
        if (_keys.Count == 0) throw new ArgumentException("a release keyring needs at least one key");
    }

    /// <summary>A key's id: the SHA-256 of its DER SubjectPublicKeyInfo.</summary>
    public static Digest KeyIdOf(ReadOnlySpan<byte> subjectPublicKeyInfo) => Digest.Sha256(subjectPublicKeyInfo);

    public IReadOnlyCollection<Digest> KeyIds => _keys.Keys;

    public string Source { get; private init; } = "keyring";

    public static ReleaseKeyring Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new RootSignatureException($"{path}: cannot read the release keyring ({e.Message})"); }
        return Parse(text, path);
    }

    /// <summary>Every <c>PUBLIC KEY</c> block of a PEM text; anything else in it (or a key that is not P-256) is refused by its position.</summary>
    public static ReleaseKeyring Parse(string pem, string source)
    {
        var keys = new List<byte[]>();
        var rest = pem.AsSpan();
        var consumed = 0;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            var at = consumed + fields.Location.Start.Value;
            if (label != "PUBLIC KEY")
                throw new RootSignatureException($"{source}: character {at}: a '{label}' block; a release keyring holds only PUBLIC KEY blocks (never a private key)");
            var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
            try
            {
                using var ecdsa = ECDsa.Create();
                ecdsa.ImportSubjectPublicKeyInfo(der, out _);
                if (ecdsa.KeySize != 256) throw new CryptographicException($"a {ecdsa.KeySize}-bit key");
            }
            catch (CryptographicException e)
            {
                throw new RootSignatureException($"{source}: character {at}: key {keys.Count + 1} is not an ECDSA P-256 public key ({e.Message})");
            }
            keys.Add(der);
            consumed += fields.Location.End.Value;
            rest = rest[fields.Location.End.Value..];
        }
        if (keys.Count == 0) throw new RootSignatureException($"{source}: no PUBLIC KEY block: not a release keyring");
        return new ReleaseKeyring(keys) { Source = source };
    }

    /// <summary>Checks what boot control records about <paramref name="slot"/>: its signature over the slot's <see cref="RootStatement"/>.</summary>
    public RootCheck Check(SlotName slot, SlotInfo info)
    {
        var sig = info.Signature;
        if (sig.IsNone)
            return new RootCheck(false, BadReason.RootNotSigned, $"slot {slot}'s Merkle root {info.MerkleRoot.Short} carries no signature; this boot trusts only signed roots ({Source})");
        if (!_keys.TryGetValue(sig.KeyId, out var spki))
            return new RootCheck(false, BadReason.RootKeyUnknown, $"slot {slot}'s root is signed by key {sig.KeyId.Short}, which is not in {Source}");
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
        if (!ecdsa.VerifyData(RootStatement.For(slot, info), sig.SignatureToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            return new RootCheck(false, BadReason.RootSignatureInvalid,
                $"slot {slot}'s root signature (key {sig.KeyId.Short}) does not verify over slot {slot}, version {(info.Version.Length > 0 ? info.Version : "unversioned")}, {info.ImageSize} bytes, sha256 {info.Sha256.Short}, Merkle root {info.MerkleRoot.Short}");
        return RootCheck.Trusted;
    }
}

/// <summary>A release keyring, root signature file or root signature that cannot be used: says what and where.</summary>
public sealed class RootSignatureException(string message) : AbException(message);
