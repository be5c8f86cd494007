using System.CommandLine;
using System.Text.Json;
using HilRig.AbUpdate;
using HilRig.Cli.Output;
using HilRig.Storage;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig disk …</c>: the offline toolbox for A/B disk images (a fresh image, or a dump from a customer's device):
/// create, install an image or a delta, mark good, roll back, boot (run the bootloader's selection), status, verify.
/// </summary>
public static class DiskCommand
{
    public static Command Create()
    {
        var disk = new Command("disk", "Work on A/B disk images: create, install, mark-good, rollback, boot, status, verify");
        disk.Subcommands.Add(CreateCommand());
        disk.Subcommands.Add(Install());
        disk.Subcommands.Add(Simple("mark-good", "Mark the primary (pending) slot good, as the device's health check does", img =>
        {
            using var dev = AbCli.OpenImage(img);
            var info = new AbUpdater(AbDisk.Open(dev)).MarkGood();
            Terminal.Line($"{img}: marked good: version {(info.Version.Length > 0 ? info.Version : "unversioned")} sha256 {info.Sha256.ToHex()}");
            return ExitCodes.Passed;
        }));
        disk.Subcommands.Add(Simple("rollback", "Make the other (good) slot primary", img =>
        {
            using var dev = AbCli.OpenImage(img);
            var to = new AbUpdater(AbDisk.Open(dev)).Rollback();
            Terminal.Line($"{img}: slot {to} is primary; the next boot runs it");
            return ExitCodes.Passed;
        }));
        disk.Subcommands.Add(Boot());
        disk.Subcommands.Add(Status());
        disk.Subcommands.Add(Verify());
        return disk;
    }

    private static Argument<string> Img() => new("IMG") { Description = "the disk image file" };

    private static Command Simple(string name, string description, Func<string, int> action)
    {
        var img = Img();
        var c = new Command(name, description) { img };
        c.SetAction((p, _) => AbCli.Guard(() => action(p.GetValue(img)!)));
        return c;
    }

    private static Command CreateCommand()
    {
        var img = Img();
        var size = new Option<string>("--size") { Description = "disk size, e.g. 64MiB (1/8 becomes the data partition, the rest two slots)", Required = true };
        var sector = new Option<int>("--sector-size") { Description = "logical sector size: 512 or 4096", DefaultValueFactory = _ => 512 };
        var seed = new Option<ulong?>("--seed") { Description = "derive the disk and partition GUIDs from this seed (reproducible images)" };
        var c = new Command("create", "Create a disk image with a GPT (bootctl, rootfs_a, rootfs_b, data) and empty boot control") { img, size, sector, seed };
        c.SetAction((p, _) => AbCli.Guard(() =>
        {
            var path = p.GetValue(img)!;
            var bytes = AbCli.Size(p.GetValue(size)!, "--size");
            var layout = AbLayout.ForDisk(bytes, p.GetValue(sector));
            var guids = p.GetValue(seed) is { } s ? SeededRng.GuidSource(s) : null;
            using var dev = FileBlockDevice.Create(path, bytes, layout.SectorSize);
            var disk = AbDisk.Create(dev, layout, guids);
            Terminal.Line($"{path}: {BlockDevice.FormatSize(bytes)} GPT disk {disk.Table.DiskGuid}: " +
                          string.Join(", ", disk.Table.Partitions.Select(x => $"{x.Number} {x.Name} {BlockDevice.FormatSize(x.Length)}")) +
                          $"; slot capacity {disk.SlotA.Capacity} bytes; no release installed");
            return ExitCodes.Passed;
        }));
        return c;
    }

    private static Command Install()
    {
        var img = Img();
        var image = new Argument<string>("IMAGE") { Description = "a full slot image, or a delta made by `hilrig delta create`" };
        var version = new Option<string?>("--version") { Description = "the version string recorded for the slot (a delta carries its own)" };
        var sha = new Option<string?>("--sha256") { Description = "the expected SHA-256 of the image; a mismatch leaves the target slot bad" };
        var tries = new Option<int>("--tries") { Description = "boot attempts before falling back", DefaultValueFactory = _ => 3 };
        var c = new Command("install", "Install an image or a delta into the inactive slot and make it primary with tries") { img, image, version, sha, tries };
        c.SetAction((p, _) => AbCli.Guard(() =>
        {
            var path = p.GetValue(img)!;
            var source = p.GetValue(image)!;
            if (!File.Exists(source)) throw new Loading.UsageException($"{source}: no such image or delta");
            if (p.GetValue(tries) is < 1 or > 255) throw new Loading.UsageException("--tries: between 1 and 255");
            using var dev = AbCli.OpenImage(path);
            var request = new InstallRequest(p.GetValue(version), p.GetValue(sha) is { } h ? Digest.Parse(h) : null, null, (byte)p.GetValue(tries));
            var r = new AbUpdater(AbDisk.Open(dev)).Install(source, request);
            Terminal.Line($"{path}: {r.Message}");
            return ExitCodes.Passed;
        }));
        return c;
    }

    private static Command Boot()
    {
        var img = Img();
        var check = new Option<string>("--check") { Description = "tamper check of the chosen slot: none, sampled or full", DefaultValueFactory = _ => "sampled" };
        var c = new Command("boot", "Run the bootloader's slot selection on the image (it writes what a boot writes) and print the boot log") { img, check };
        c.SetAction((p, _) => AbCli.Guard(() =>
        {
            var policy = p.GetValue(check) switch
            {
                "none" => BootPolicy.NoCheck,
                "sampled" => BootPolicy.Default,
                "full" => BootPolicy.FullCheck,
                var other => throw new Loading.UsageException($"--check: '{other}' is not none, sampled or full"),
            };
            using var dev = AbCli.OpenImage(p.GetValue(img)!);
            var r = Bootloader.Boot(AbDisk.Open(dev), policy);
            foreach (var line in r.Log) Terminal.Line(line);
            if (!r.Booted) Terminal.Line(r.BootLine);
            return r.Booted ? ExitCodes.Passed : ExitCodes.Failed;
        }));
        return c;
    }

    private static Command Status()
    {
        var img = Img();
        var json = CommonOptions.Json();
        var c = new Command("status", "Print boot control and both slots") { img, json };
        c.SetAction((p, _) => AbCli.Guard(() =>
        {
            using var dev = AbCli.OpenImage(p.GetValue(img)!, readOnly: true);
            var status = new AbUpdater(AbDisk.Open(dev)).Status();
            Console.Out.Write(p.GetValue(json) ? status.ToJson() + "\n" : status.ToText());
            return ExitCodes.Passed;
        }));
        return c;
    }

    private static Command Verify()
    {
        var img = Img();
        var json = CommonOptions.Json();
        var c = new Command("verify", "Check both slots against their Merkle trees; report changed blocks by slot and index (exit 1 if any)") { img, json };
        c.SetAction((p, _) => AbCli.Guard(() =>
        {
            var path = p.GetValue(img)!;
            using var dev = AbCli.OpenImage(path, readOnly: true);
            var reports = new AbUpdater(AbDisk.Open(dev)).VerifyAll(markBad: false);
            if (p.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new { disk = path, slots = reports }, AbStatus.JsonOptions));
            }
            else
            {
                foreach (var r in reports) Terminal.Line($"slot {r.Slot}: {r.Result}{(r.Detail is null ? "" : $": {r.Detail}")}");
            }
            return reports.Any(r => r.Result is "tampered" or "merkle-corrupt") ? ExitCodes.Failed : ExitCodes.Passed;
        }));
        return c;
    }
}
