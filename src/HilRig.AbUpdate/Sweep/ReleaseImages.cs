using HilRig.Storage;

namespace HilRig.AbUpdate.Sweep;

/// <summary>
/// Three releases generated from a seed, shaped so a block delta between the last two uses every op kind: v1 is v0 with a
/// third of its blocks rewritten; v2 is v1 with runs of new random data, compressible text, zeroed runs, blocks moved from
/// elsewhere in v1, and everything else unchanged.
/// </summary>
public sealed class ReleaseImages
{
    private ReleaseImages(byte[][] images) => Images = images;

    public byte[][] Images { get; }
    public byte[] V0 => Images[0];
    public byte[] V1 => Images[1];
    public byte[] V2 => Images[2];

    public static ReleaseImages Generate(ulong seed, long size)
    {
        const int B = MerkleTree.BlockSize;
        if (size <= 0 || size % B != 0 || size > int.MaxValue) throw new ArgumentException($"image size {size} is not a positive multiple of {B}");
        var blocks = (int)(size / B);
        var rng = SeededRng.For(seed, 0x696D67, 0);
        var v0 = new byte[size];
        rng.Fill(v0);
        for (var i = 0; i < blocks; i++)
            if (rng.Next(10) == 0) v0.AsSpan(i * B, B).Clear();

        var v1 = (byte[])v0.Clone();
        for (var i = 0; i < blocks; i++)
            if (rng.Next(3) == 0) rng.Fill(v1.AsSpan(i * B, B));

        var v2 = (byte[])v1.Clone();
        var words = "update slot boot control merkle tree block delta power cut release verify ".Split(' ');
        var blockIndex = 0;
        while (blockIndex < blocks)
        {
            var run = 1 + rng.Next(Math.Max(1, blocks / 64));
            run = Math.Min(run, blocks - blockIndex);
            var span = v2.AsSpan(blockIndex * B, run * B);
            switch (rng.Next(10))
            {
                case 0: rng.Fill(span); break;
                case 1:
                    for (var p = 0; p < span.Length;)
                    {
                        var w = words[rng.Next(words.Length)] + " ";
                        for (var c = 0; c < w.Length && p < span.Length; c++) span[p++] = (byte)w[c];
                    }
                    break;
                case 2: span.Clear(); break;
                case 3:
                    var from = rng.Next(blocks - run + 1);
                    v1.AsSpan(from * B, run * B).CopyTo(span);
                    break;
            }
            blockIndex += run;
        }
        return new ReleaseImages([v0, v1, v2]);
    }
}
