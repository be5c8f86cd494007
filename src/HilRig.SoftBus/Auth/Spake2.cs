using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Math;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;
using Org.BouncyCastle.Security;

namespace HilRig.SoftBus.Auth;

/// <summary>
/// SPAKE2 (RFC 9382), ciphersuite P256-SHA256-HKDF-HMAC, the PIN-based PAKE of device binding. Chosen over CPace
/// because CPace needs a hash-to-curve map (Elligator2 / SSWU) that neither served library exposes — writing one would
/// be writing a primitive — while SPAKE2 needs only the group operations BouncyCastle has, is an RFC, and comes with
/// test vectors we check against. Both are balanced PAKEs (both sides know the PIN), which is what pairing with a
/// PIN shown on one device and typed on the other is. The group arithmetic is BouncyCastle's; hashes, HKDF and HMAC the BCL's.
/// <code>
///   A: pA = x·G + w·M      B: pB = y·G + w·N
///   A: K = x·(pB − w·N)    B: K = y·(pA − w·M)
///   TT = len(A)‖A‖len(B)‖B‖len(pA)‖pA‖len(pB)‖pB‖len(K)‖K‖len(w)‖w   (lengths 8-byte little-endian)
///   Ke‖Ka = SHA-256(TT);  KcA‖KcB = HKDF(Ka, salt: nil, info: "ConfirmationKeys"‖AAD, 32);  confX = HMAC(KcX, TT)
/// </code>
/// </summary>
public sealed class Spake2
{
    private static readonly X9ECParameters Curve = ECNamedCurveTable.GetByName("secp256r1");
    // RFC 9382 §6: M and N for P-256, compressed SEC1.
    private static readonly ECPoint M = Curve.Curve.DecodePoint(Convert.FromHexString("02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f"));
    private static readonly ECPoint N = Curve.Curve.DecodePoint(Convert.FromHexString("03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49"));

    private readonly bool _isA;
    private readonly BigInteger _w;
    private readonly BigInteger _secret;
    private readonly byte[] _idA, _idB;

    private Spake2(bool isA, BigInteger w, byte[] idA, byte[] idB, BigInteger? secret)
    {
        _isA = isA;
        _w = w;
        _idA = idA;
        _idB = idB;
        _secret = secret ?? new BigInteger(Curve.N.BitLength + 64, new SecureRandom()).Mod(Curve.N.Subtract(BigInteger.One)).Add(BigInteger.One);
        var blind = isA ? M : N;
        Share = Curve.G.Multiply(_secret).Add(blind.Multiply(_w)).Normalize().GetEncoded(false);
    }

    /// <summary>Party A (the device that shows the PIN). <paramref name="x"/> only for test vectors.</summary>
    public static Spake2 ForA(byte[] w, byte[] idA, byte[] idB, byte[]? x = null) => new(true, Scalar(w), idA, idB, x is null ? null : new BigInteger(1, x));

    /// <summary>Party B (the device the PIN is typed into). <paramref name="y"/> only for test vectors.</summary>
    public static Spake2 ForB(byte[] w, byte[] idA, byte[] idB, byte[]? y = null) => new(false, Scalar(w), idA, idB, y is null ? null : new BigInteger(1, y));

    private static BigInteger Scalar(byte[] w) => new BigInteger(1, w).Mod(Curve.N);

    /// <summary>
    /// w from a PIN (RFC 9382 §3.2 asks for a memory-hard function): scrypt(PIN, salt, N=2^14, r=8, p=1) to 40 bytes,
    /// reduced mod the group order (64 spare bits keep the bias below 2^-64).
    /// </summary>
    public static byte[] PasswordScalar(string pin, ReadOnlySpan<byte> salt)
    {
        var stretched = Org.BouncyCastle.Crypto.Generators.SCrypt.Generate(System.Text.Encoding.UTF8.GetBytes(pin), salt.ToArray(), 1 << 14, 8, 1, 40);
        return Fixed(new BigInteger(1, stretched).Mod(Curve.N));
    }

    /// <summary>Our share (pA or pB): an uncompressed SEC1 point, 65 bytes.</summary>
    public byte[] Share { get; }

    /// <summary>
    /// Computes the keys from the peer's share. Throws <see cref="CryptographicException"/> for a share that is not a
    /// point of the curve or yields the identity.
    /// </summary>
    public Spake2Result Finish(ReadOnlySpan<byte> peerShare, ReadOnlySpan<byte> aad = default)
    {
        ECPoint peer;
        try
        {
            peer = Curve.Curve.DecodePoint(peerShare.ToArray());
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new CryptographicException($"the peer's SPAKE2 share is not a P-256 point: {e.Message}");
        }
        if (peer.IsInfinity || peerShare.Length != 65) throw new CryptographicException("the peer's SPAKE2 share is not an uncompressed point");
        var unblind = (_isA ? N : M).Multiply(_w);
        var k = peer.Subtract(unblind).Multiply(_secret).Normalize();
        if (k.IsInfinity) throw new CryptographicException("SPAKE2 produced the identity element");
        var (pA, pB) = _isA ? (Share, peerShare.ToArray()) : (peerShare.ToArray(), Share);
        var tt = Transcript(_idA, _idB, pA, pB, k.GetEncoded(false), Fixed(_w));
        var hash = SHA256.HashData(tt);
        var ke = hash[..16];
        var ka = hash[16..];
        var info = new byte[16 + aad.Length];
        "ConfirmationKeys"u8.CopyTo(info);
        aad.CopyTo(info.AsSpan(16));
        var kc = HKDF.DeriveKey(HashAlgorithmName.SHA256, ka, 32, [], info);
        var confirmA = HMACSHA256.HashData(kc[..16], tt);
        var confirmB = HMACSHA256.HashData(kc[16..], tt);
        return new Spake2Result(ke, _isA ? confirmA : confirmB, _isA ? confirmB : confirmA, tt);
    }

    private static byte[] Fixed(BigInteger v)
    {
        var raw = v.ToByteArrayUnsigned();
        var bytes = new byte[32];
        raw.CopyTo(bytes, 32 - raw.Length);
        return bytes;
    }

    internal static byte[] Transcript(params byte[][] parts)
    {
        var tt = new byte[parts.Sum(p => 8 + p.Length)];
        var pos = 0;
        foreach (var p in parts)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(tt.AsSpan(pos), (ulong)p.Length);
            p.CopyTo(tt, pos + 8);
            pos += 8 + p.Length;
        }
        return tt;
    }
}

/// <summary>
/// The outcome of SPAKE2: the shared key Ke (16 bytes), the confirmation MAC to send, the one to expect, and the
/// transcript (which later messages are bound to).
/// </summary>
public sealed record Spake2Result(byte[] SharedKey, byte[] OurConfirmation, byte[] ExpectedConfirmation, byte[] Transcript)
{
    /// <summary>Checks the peer's confirmation in constant time: a wrong PIN fails here and yields no key.</summary>
    public bool Confirms(ReadOnlySpan<byte> peerConfirmation) =>
        peerConfirmation.Length == ExpectedConfirmation.Length && CryptographicOperations.FixedTimeEquals(peerConfirmation, ExpectedConfirmation);
}
