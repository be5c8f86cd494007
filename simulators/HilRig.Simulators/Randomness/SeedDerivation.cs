using System.Security.Cryptography;
using System.Text;

namespace HilRig.Simulators.Randomness;

/// <summary>
/// Derives a component's seed from the run seed and the component's name, so every random decision of a
/// run is reproducible from one number and components do not share (and so perturb) one stream.
/// </summary>
public static class SeedDerivation
{
    public static ulong Derive(ulong runSeed, string component)
    {
        Span<byte> input = stackalloc byte[8 + Encoding.UTF8.GetMaxByteCount(component.Length)];
        BitConverter.TryWriteBytes(input, runSeed);
        var n = Encoding.UTF8.GetBytes(component, input[8..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..(8 + n)], hash);
        return BitConverter.ToUInt64(hash);
    }
}
