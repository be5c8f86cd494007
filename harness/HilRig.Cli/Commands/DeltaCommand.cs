using System.CommandLine;
using HilRig.AbUpdate;
using HilRig.Cli.Output;

namespace HilRig.Cli.Commands;

/// <summary><c>hilrig delta create OLD NEW DELTA</c>: a block delta that `hilrig disk install` (or `ab install`) applies.</summary>
public static class DeltaCommand
{
    public static Command Create()
    {
        var oldImage = new Argument<string>("OLD") { Description = "the image the device runs now (the delta's source)" };
        var newImage = new Argument<string>("NEW") { Description = "the image to update to" };
        var delta = new Argument<string>("DELTA") { Description = "the delta file to write" };
        var version = new Option<string?>("--version") { Description = "the version string the installed slot records" };
        var quality = new Option<int>("--quality") { Description = "Brotli quality 0..11", DefaultValueFactory = _ => 11 };
        var create = new Command("create", "Write a block delta (copy from source, zero, Brotli/Deflate replace) from OLD to NEW") { oldImage, newImage, delta, version, quality };
        create.SetAction((p, _) => AbCli.Guard(() =>
        {
            foreach (var f in new[] { p.GetValue(oldImage)!, p.GetValue(newImage)! })
                if (!File.Exists(f)) throw new Loading.UsageException($"{f}: no such image");
            if (p.GetValue(quality) is < 0 or > 11) throw new Loading.UsageException("--quality: between 0 and 11");
            var stats = BlockDelta.Create(p.GetValue(oldImage)!, p.GetValue(newImage)!, p.GetValue(delta)!,
                new DeltaOptions(BrotliQuality: p.GetValue(quality), Version: p.GetValue(version) ?? ""));
            Terminal.Line($"{p.GetValue(delta)}: {stats}");
            return ExitCodes.Passed;
        }));
        return new Command("delta", "Block deltas between slot images") { create };
    }
}
