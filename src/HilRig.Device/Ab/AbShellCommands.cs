using HilRig.AbUpdate;
using HilRig.Device.Shell;
using HilRig.Storage.PowerLoss;

namespace HilRig.Device.Ab;

/// <summary>The device's A/B shell commands: <c>ab status|install|mark-good|rollback|verify</c>, and <c>ab cut</c> for power-cut scenarios.</summary>
internal static class AbShellCommands
{
    public static IEnumerable<IShellCommand> For(AbBootService ab)
    {
        yield return Command(ab, "ab status", "A/B slots and boot control (--json for JSON)", (ctx, args) =>
        {
            var status = ab.Use(u => u.Status());
            if (args.Contains("--json")) ctx.WriteLine(status.ToJson());
            else ctx.Write(status.ToText());
            return 0;
        });
        yield return Command(ab, "ab install", "install an image or delta (file or http URL) into the other slot, with its root signature (FILE.rootsig or --signature)", (ctx, args) =>
        {
            var positional = new List<string>();
            var options = new Dictionary<string, string>();
            for (var i = 0; i < args.Count; i++)
            {
                if (args[i] is "--version" or "--sha256" or "--signature" && i + 1 < args.Count) options[args[i]] = args[++i];
                else if (args[i].StartsWith("--", StringComparison.Ordinal)) return ctx.Fail("ab install", $"unknown option {args[i]}", 2);
                else positional.Add(args[i]);
            }
            if (positional.Count != 1) return ctx.Fail("ab install", "usage: ab install FILE|URL [--version V] [--sha256 HEX] [--signature FILE.rootsig]", 2);
            string? Opt(string name) => options.GetValueOrDefault(name);
            var source = positional[0];
            string InData(string p) => Path.IsPathRooted(p) ? p : Path.Combine(ab.Device.Config.DataDirectory, p);
            // The root signature travels beside the image (IMAGE.rootsig) unless named; a device with a keyring needs one.
            var signaturePath = Opt("--signature") is { } sp ? InData(sp) : source.Contains("://", StringComparison.Ordinal) ? null : InData(source) + ".rootsig";
            if (Opt("--signature") is { } named && !File.Exists(signaturePath)) return ctx.Fail("ab install", $"{named}: no such file");
            var request = new InstallRequest(Opt("--version"), Opt("--sha256") is { } h ? Digest.Parse(h) : null)
            {
                RootSignature = signaturePath is not null && File.Exists(signaturePath) ? RootSignatureFile.Load(signaturePath) : null,
            };
            InstallResult result;
            if (source.StartsWith("http://", StringComparison.Ordinal) || source.StartsWith("https://", StringComparison.Ordinal))
            {
                using var http = new HttpClient();
                using var stream = http.GetStreamAsync(source).GetAwaiter().GetResult();
                result = ab.Use(u => u.Install(stream, request, source));
            }
            else
            {
                var path = InData(source);
                if (!File.Exists(path)) return ctx.Fail("ab install", $"{source}: no such file");
                result = ab.Use(u => u.Install(path, request));
            }
            ctx.WriteLine(result.Message);
            return 0;
        });
        yield return Command(ab, "ab mark-good", "confirm the booted slot (the health check does this)", (ctx, _) =>
        {
            var info = ab.Use(u => u.MarkGood());
            ctx.WriteLine($"slot {ab.Booted!.Slot} marked good: {info.Label}");
            return 0;
        });
        yield return Command(ab, "ab rollback", "make the other good slot primary (takes effect at the next boot)", (ctx, _) =>
        {
            var to = ab.Use(u => u.Rollback());
            ctx.WriteLine($"slot {to} is primary; reboot to run it");
            return 0;
        });
        yield return Command(ab, "ab verify", "check a slot (default: booted) against its Merkle tree [A|B] [--sampled]", (ctx, args) =>
        {
            var slot = args.FirstOrDefault(a => a is "A" or "B") is { } s ? SlotNames.Parse(s) : (SlotName?)null;
            var which = slot ?? (ab.Booted ?? throw new InvalidOperationException("no booted A/B slot")).Slot;
            var report = ab.Use(u => u.Verify(which, full: !args.Contains("--sampled")));
            ctx.WriteLine(report.Describe($"slot {which}"));
            if (!report.Ok) ctx.WriteLine($"slot {which} marked bad: it will not be booted again");
            return report.Ok ? 0 : 1;
        });
        yield return Command(ab, "ab cut", "simulator: lose power at a point of this boot (wN or @point#N) [seed]", (ctx, args) =>
        {
            if (args.Count is < 1 or > 2) return ctx.Fail("ab cut", "usage: ab cut wN|@point#N [SEED]", 2);
            var plan = new CutPlan(CutPoint.Parse(args[0]), args.Count == 2 ? ulong.Parse(args[1]) : 1);
            ab.Arm(plan);
            ctx.WriteLine($"armed: power will be lost at {plan.At} (seed {plan.Seed})");
            return 0;
        });
    }

    private static IShellCommand Command(AbBootService ab, string name, string summary, Func<ShellContext, IReadOnlyList<string>, int> run) =>
        new DelegateCommand(name, summary, async (ctx, args) =>
        {
            try
            {
                var code = run(ctx, args);
                ab.FireIfArmed();
                return code;
            }
            catch (PowerCutException e)
            {
                await ab.PowerLostAsync(e);
                return 137;
            }
            catch (AbException e)
            {
                return ctx.Fail(name, e.Message);
            }
        });
}
