namespace HilRig.Simulators.Randomness;

/// <summary>
/// xoshiro256** (Blackman and Vigna): a small, fast generator whose sequence for a seed is fixed by this
/// code, not by the .NET version, so a replayed seed reproduces the same decisions. Not thread-safe:
/// each SimNet link direction owns one and only its forwarding thread draws from it.
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public DeterministicRandom(ulong seed) => Reseed(seed);

    /// <summary>Starts the sequence of <paramref name="seed"/> again in this instance (SimNet reseeds one per frame, without allocating).</summary>
    public void Reseed(ulong seed)
    {
        // Expand the seed with splitmix64, as the authors recommend, so that nearby seeds diverge.
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    public DeterministicRandom(ulong runSeed, string component) : this(SeedDerivation.Derive(runSeed, component)) { }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="p"/>; draws nothing when p is 0 or 1, so inactive impairments do not shift the stream.</summary>
    public bool Chance(double p) => p > 0 && (p >= 1 || NextDouble() < p);

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int exclusiveMax) => (int)(NextDouble() * exclusiveMax);

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
