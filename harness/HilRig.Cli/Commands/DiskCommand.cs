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
        disk.Subcommands.Add(Keygen());
        disk.Subcommands.Add(Sign());
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
        var signature = new Option<string?>("--signature") { Description = "the release's root signature (default: IMAGE.rootsig when it exists); kept in boot control for the boot to verify" };
        var keyring = KeyringOption();
        var c = new Command("install", "Install an image or a delta into the inactive slot and make it primary with tries") { img, image, version, sha, tries, signature, keyring };
        c.SetAction((p, _) => AbCli.Guard(() =>
        {
            var path = p.GetValue(img)!;
            var source = p.GetValue(image)!;
            if (!File.Exists(source)) throw new Loading.UsageException($"{source}: no such image or delta");
            if (p.GetValue(tries) is < 1 or > 255) throw new Loading.UsageException("--tries: between 1 and 255");
            using var dev = AbCli.OpenImage(path);
            var sigPath = p.GetValue(signature) ?? (File.Exists(source + ".rootsig") ? source + ".rootsig" : null);
            if (sigPath is not null && !File.Exists(sigPath)) throw new Loading.UsageException($"--signature: {sigPath}: no such file");
            var request = new InstallRequest(p.GetValue(version), p.GetValue(sha) is { } h ? Digest.Parse(h) : null, null, (byte)p.GetValue(tries))
            {
                RootSignature = sigPath is null ? null : RootSignatureFile.Load(sigPath),
            };
            var r = new AbUpdater(AbDisk.Open(dev)) { Keyring = Keyring(p.GetValue(keyring)) }.Install(source, request);
            Terminal.Line($"{path}: {r.Message}");
            return ExitCodes.Passed;
        }));
        return c;
    }

    private static Command Boot()
    {
        var img = Img();
        var check = new Option<string>("--check") { Description = "tamper check of the chosen slot: none, sampled or full", DefaultValueFactory = _ => "sampled" };
        var keyring = KeyringOption();
        var c = new Command("boot", "Run the bootloader's slot selection on the image (it writes what a boot writes) and print the boot log") { img, check, keyring };
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
            var r = Bootloader.Boot(AbDisk.Open(dev), policy with { Keyring = Keyring(p.GetValue(keyring)) });
            foreach (var line in r.Log) Terminal.Line(line);
            if (!r.Booted) Terminal.Line(r.BootLine);
            return r.Booted ? ExitCodes.Passed : ExitCodes.Failed;
        }));
        return c;
    }

    private static Option<string?> KeyringOption() =>
        new("--keyring") { Description = "PEM file of release public keys: slot roots must carry a signature by one of them, as on a device with ab.keyring" };

    private static ReleaseKeyring? Keyring(string? path) => path is null ? null : ReleaseKeyring.Load(path);

    private static Command Keygen()
    {
        var dir = new Argument<string>("DIR") { Description = "where release.key (private, mode 0600) and release-keys.pem (public: the devices' keyring) are written" };
        var c = new Command("keygen", "Make a release key (ECDSA P-256) that signs slot roots; its public half is what devices trust") { dir };
        c.SetAction((p, _) => AbCli.Guard(() =>
        {
            var d = p.GetValue(dir)!;
            Directory.CreateDirectory(d);
            var key = Path.Combine(d, "release.key");
            if (File.Exists(key)) throw new Loading.UsageException($"{key} exists; a release key is not overwritten");
            using var signer = ReleaseSigner.Generate();
            File.WriteAllText(key, signer.PrivatePem + "\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(Path.Combine(d, "release-keys.pem"), signer.PublicPem + "\n");
            Terminal.Line($"release key {signer.KeyId.ToHex()}: {key} (keep it off devices), keyring {Path.Combine(d, "release-keys.pem")} (give it to devices as ab.keyring)");
            return ExitCodes.Passed;
        }));
        return c;
    }

    private static Command Sign()
    {
        var image = new Argument<string>("IMAGE") { Description = "the full release image (a delta is signed as the image it produces)" };
        var key = new Option<string>("--key") { Description = "the release key (PEM, from `hilrig disk keygen`)", Required = true };
        var version = new Option<string>("--version") { Description = "the version the signature binds", Required = true };
        var output = new Option<string?>("--out") { Description = "where the signature goes (default IMAGE.rootsig)" };
        var c = new Command("sign", "Sign a release image's Merkle root for both slots (slot, version, size, SHA-256, root, tree parameters)") { image, key, version, output };
        c.SetAction((p, _) => AbCli.Guard(() =>
        {
            var path = p.GetValue(image)!;
            if (!File.Exists(path)) throw new Loading.UsageException($"{path}: no such image");
            using var signer = ReleaseSigner.Load(p.GetValue(key)!);
            var sig = signer.SignImage(File.ReadAllBytes(path), p.GetValue(version)!);
            var to = p.GetValue(output) ?? path + ".rootsig";
            File.WriteAllText(to, sig.ToText());
            Terminal.Line($"{to}: version {sig.Version}, sha256 {sig.Sha256.ToHex()}, Merkle root {sig.MerkleRoot.ToHex()}, key {sig.KeyId.Short}");
            return ExitCodes.Passed;
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
