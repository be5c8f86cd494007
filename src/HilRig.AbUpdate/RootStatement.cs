using System.Text;

namespace HilRig.AbUpdate;

/// <summary>
/// What a release signature vouches for: the bytes an ECDSA P-256 signature over one slot's root is made over. It binds
/// the slot (A or B), the release's version, the image's size and SHA-256, the Merkle root, and the tree's parameters
/// (hash, block size, fan-out, node prefix), so a root recomputed over other data, a signature moved to the other slot
/// or to another version, or a tree read with other parameters does not verify. Canonical UTF-8 text, one field a line,
/// so another implementation (an initramfs port) rebuilds it byte for byte from boot control:
/// <code>
/// hilrig-root 1
/// slot B
/// version 2.0
/// image-size 2097152
/// sha256 &lt;64 hex&gt;
/// merkle-root &lt;64 hex&gt;
/// tree sha256 block=4096 fanout=128 node-prefix=HRMT
/// </code>
/// </summary>
public static class RootStatement
{
    public const int FormatVersion = 1;

    /// <summary>The tree parameters <see cref="MerkleTree"/> uses, as the statement names them.</summary>
    public static readonly string TreeParameters = $"sha256 block={MerkleTree.BlockSize} fanout={MerkleTree.DigestsPerBlock} node-prefix=HRMT";

    public static byte[] Bytes(SlotName slot, string version, long imageSize, Digest sha256, Digest merkleRoot) =>
        Encoding.UTF8.GetBytes(
            $"hilrig-root {FormatVersion}\nslot {slot}\nversion {version}\nimage-size {imageSize}\nsha256 {sha256.ToHex()}\nmerkle-root {merkleRoot.ToHex()}\ntree {TreeParameters}\n");

    /// <summary>The statement for what boot control records about a slot.</summary>
    public static byte[] For(SlotName slot, SlotInfo info) => Bytes(slot, info.Version, info.ImageSize, info.Sha256, info.MerkleRoot);
}

/// <summary>
/// One slot's root signature as boot control keeps it: which key made it (SHA-256 of the key's SubjectPublicKeyInfo)
/// and the ECDSA P-256 signature r‖s over the slot's <see cref="RootStatement"/>. The default value is "not signed".
/// </summary>
public readonly record struct SlotSignature(Digest KeyId, Digest R, Digest S)
{
    public const int SignatureBytes = 2 * Digest.Size;

    public bool IsNone => KeyId.IsZero && R.IsZero && S.IsZero;

    public static SlotSignature FromBytes(Digest keyId, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureBytes)
            throw new ArgumentException($"an ECDSA P-256 signature is {SignatureBytes} bytes (r‖s), got {signature.Length}");
        return new(keyId, Digest.FromSpan(signature[..Digest.Size]), Digest.FromSpan(signature[Digest.Size..]));
    }

    public byte[] SignatureToArray()
    {
        var b = new byte[SignatureBytes];
        R.WriteTo(b);
        S.WriteTo(b.AsSpan(Digest.Size));
        return b;
    }
}
