using System.Globalization;
using System.Text;

namespace HilRig.AbUpdate;

/// <summary>
/// A release's root signature as it travels with the image (<c>IMAGE.rootsig</c> beside an image or delta, or a bundle
/// component's <c>hilrig.root-signature</c> annotation): what was signed and one signature per slot, because the
/// signer does not know which slot a device will install into and each signature binds its slot. Text, one field a line:
/// <code>
/// hilrig-root-signature 1
/// version 2.0
/// image-size 2097152
/// sha256 &lt;64 hex&gt;
/// merkle-root &lt;64 hex&gt;
/// key &lt;64 hex: SHA-256 of the signing key's SubjectPublicKeyInfo&gt;
/// slot-A &lt;128 hex: r‖s over slot A's statement&gt;
/// slot-B &lt;128 hex&gt;
/// </code>
/// </summary>
public sealed record RootSignatureFile(string Version, long ImageSize, Digest Sha256, Digest MerkleRoot, Digest KeyId, SlotSignature A, SlotSignature B)
{
    public const string Magic = "hilrig-root-signature";
    public const int FormatVersion = 1;

    public SlotSignature For(SlotName slot) => slot == SlotName.A ? A : B;

    /// <summary>Whether this file vouches for exactly this release (the fields a slot's statement is made of).</summary>
    public string? Mismatch(string version, long imageSize, Digest sha256, Digest merkleRoot) =>
        Version != version ? $"version '{Version}', the install is version '{version}'"
        : ImageSize != imageSize ? $"an image of {ImageSize} bytes, the install is {imageSize} bytes"
        : Sha256 != sha256 ? $"sha256 {Sha256.ToHex()}, the install is {sha256.ToHex()}"
        : MerkleRoot != merkleRoot ? $"Merkle root {MerkleRoot.ToHex()}, the install makes {merkleRoot.ToHex()}"
        : null;

    public string ToText() =>
        $"{Magic} {FormatVersion}\nversion {Version}\nimage-size {ImageSize}\nsha256 {Sha256.ToHex()}\nmerkle-root {MerkleRoot.ToHex()}\n" +
        $"key {KeyId.ToHex()}\nslot-A {Convert.ToHexStringLower(A.SignatureToArray())}\nslot-B {Convert.ToHexStringLower(B.SignatureToArray())}\n";

    public static RootSignatureFile Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new RootSignatureException($"{path}: cannot read the root signature ({e.Message})"); }
        return Parse(text, path);
    }

    /// <summary>Parses the text form; a bad line is refused as <c>SOURCE:LINE:COLUMN: what</c>.</summary>
    public static RootSignatureFile Parse(string text, string source)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        if (lines.Length > 0 && lines[^1].Length == 0) lines = lines[..^1];
        var fields = new Dictionary<string, (string Value, int Line, int Column)>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var space = line.IndexOf(' ');
            if (space <= 0) throw new RootSignatureException($"{source}:{i + 1}:1: expected 'FIELD VALUE', got '{Truncate(line)}'");
            var name = line[..space];
            if (i == 0)
            {
                if (name != Magic) throw new RootSignatureException($"{source}:1:1: not a root signature (expected '{Magic} {FormatVersion}', got '{Truncate(line)}')");
                var v = line[(space + 1)..];
                if (v != FormatVersion.ToString(CultureInfo.InvariantCulture))
                    throw new RootSignatureException($"{source}:1:{space + 2}: root signature format '{Truncate(v)}' is not supported (this updater reads format {FormatVersion})");
                continue;
            }
            if (fields.ContainsKey(name)) throw new RootSignatureException($"{source}:{i + 1}:1: field '{name}' appears twice");
            fields[name] = (line[(space + 1)..], i + 1, space + 2);
        }
        if (lines.Length == 0) throw new RootSignatureException($"{source}:1:1: empty file, not a root signature");

        (string Value, int Line, int Column) Field(string name) =>
            fields.TryGetValue(name, out var f) ? f : throw new RootSignatureException($"{source}: field '{name}' is missing");
        RootSignatureException Bad(string name, string what)
        {
            var f = Field(name);
            return new RootSignatureException($"{source}:{f.Line}:{f.Column}: {name}: {what}");
        }
        Digest DigestField(string name)
        {
            try { return Digest.Parse(Field(name).Value); }
            catch (FormatException) { throw Bad(name, "not 64 hex digits"); }
        }
        SlotSignature SlotField(string name, Digest key)
        {
            byte[] bytes;
            try { bytes = Convert.FromHexString(Field(name).Value); }
            catch (FormatException) { throw Bad(name, "not hex"); }
            if (bytes.Length != SlotSignature.SignatureBytes)
                throw Bad(name, $"{bytes.Length} bytes, an ECDSA P-256 signature (r‖s) is {SlotSignature.SignatureBytes} — truncated or not one");
            return SlotSignature.FromBytes(key, bytes);
        }

        var version = Field("version").Value;
        if (Encoding.UTF8.GetByteCount(version) > SlotInfo.MaxVersionBytes) throw Bad("version", $"longer than {SlotInfo.MaxVersionBytes} bytes");
        if (!long.TryParse(Field("image-size").Value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size <= 0)
            throw Bad("image-size", $"'{Truncate(Field("image-size").Value)}' is not a positive byte count");
        var keyId = DigestField("key");
        var known = new HashSet<string> { "version", "image-size", "sha256", "merkle-root", "key", "slot-A", "slot-B" };
        foreach (var (name, f) in fields)
            if (!known.Contains(name)) throw new RootSignatureException($"{source}:{f.Line}:1: unknown field '{name}'");
        return new RootSignatureFile(version, size, DigestField("sha256"), DigestField("merkle-root"), keyId, SlotField("slot-A", keyId), SlotField("slot-B", keyId));
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
