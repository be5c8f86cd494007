using System.CommandLine;
using HilRig.AbUpdate;
using HilRig.AbUpdate.Delta;
using HilRig.Cli.Output;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig delta create OLD NEW DELTA</c>: a delta that `hilrig disk install` (or `ab install`) applies. Format 2 (the
/// default) is file-aware and byte-level on ext4 images; format 1 is the block delta devices with older software apply.
/// </summary>
public static class DeltaCommand
{
    public static Command Create()
    {
        var oldImage = new Argument<string>("OLD") { Description = "the image the device runs now (the delta's source)" };
        var newImage = new Argument<string>("NEW") { Description = "the image to update to" };
        var delta = new Argument<string>("DELTA") { Description = "the delta file to write" };
        var version = new Option<string?>("--version") { Description = "the version string the installed slot records" };
        var format = new Option<int>("--format") { Description = "2: file-aware byte-level patches (ext4), zstd; 1: block delta for older devices", DefaultValueFactory = _ => 2 };
        var quality = new Option<int?>("--quality") { Description = "compression level: zstd 1..22 (format 2, default 19) or Brotli 0..11 (format 1, default 11)" };
        var threads = new Option<int>("--threads") { Description = "worker threads (0: one per core); the delta's bytes do not depend on it", DefaultValueFactory = _ => 0 };
        var blocksOnly = new Option<bool>("--no-files") { Description = "format 2 without reading the filesystems: block matching plus byte-level patches" };
        var create = new Command("create", "Write a delta from OLD to NEW (format 2: per-file byte-level patches on ext4, else blocks + byte-level patches)")
        {
            oldImage, newImage, delta, version, format, quality, threads, blocksOnly,
        };
        create.SetAction((p, _) => AbCli.Guard(() =>
        {
            foreach (var f in new[] { p.GetValue(oldImage)!, p.GetValue(newImage)! })
                if (!File.Exists(f)) throw new Loading.UsageException($"{f}: no such image");
            var q = p.GetValue(quality);
            switch (p.GetValue(format))
            {
                case 1:
                {
                    if (q is < 0 or > 11) throw new Loading.UsageException("--quality: between 0 and 11 for format 1 (Brotli)");
                    var stats = BlockDelta.Create(p.GetValue(oldImage)!, p.GetValue(newImage)!, p.GetValue(delta)!,
                        new DeltaOptions(BrotliQuality: q ?? 11, Version: p.GetValue(version) ?? ""));
                    Terminal.Line($"{p.GetValue(delta)}: {stats}");
                    break;
                }
                case 2:
                {
                    if (q is < 1 or > 22) throw new Loading.UsageException("--quality: between 1 and 22 for format 2 (zstd)");
                    if (p.GetValue(threads) < 0) throw new Loading.UsageException("--threads: 0 (one per core) or more");
                    var stats = FileDelta.Create(p.GetValue(oldImage)!, p.GetValue(newImage)!, p.GetValue(delta)!, new FileDeltaOptions
                    {
                        Version = p.GetValue(version) ?? "",
                        Level = q ?? 19,
                        Threads = p.GetValue(threads),
                        FileAware = !p.GetValue(blocksOnly),
                    });
                    Terminal.Line($"{p.GetValue(delta)}: {stats}");
                    break;
                }
                default:
                    throw new Loading.UsageException($"--format: 1 or 2, not {p.GetValue(format)}");
            }
            return ExitCodes.Passed;
        }));
        return new Command("delta", "Deltas between slot images") { create };
    }
}
