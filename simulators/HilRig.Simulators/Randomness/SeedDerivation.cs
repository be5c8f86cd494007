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

    /// <summary>
    /// Folds <paramref name="value"/> into <paramref name="seed"/> (splitmix64's finalizer over their xor): cheap enough per
    /// frame, and a change in either input changes every bit of the result.
    /// </summary>
    public static ulong Combine(ulong seed, ulong value)
    {
        var z = seed ^ value;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
