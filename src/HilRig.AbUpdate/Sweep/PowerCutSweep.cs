using System.Diagnostics;
using System.Security.Cryptography;
using HilRig.AbUpdate.Delta;
using HilRig.Storage;
using HilRig.Storage.PowerLoss;

namespace HilRig.AbUpdate.Sweep;

/// <summary>
/// The power-cut sweep. A simulated device runs A=v0 (good), B=v1 (good, primary, booted) and takes an update to v2
/// (full image or block delta): install → reboot → health check → mark good. The power is cut at every device operation
/// of that whole sequence (or at K sampled ones plus every operation that follows a boot-control point). For each cut
/// the disk is forked as the cut leaves it (unflushed writes lost or scrambled, the request in flight torn by the seed),
/// rebooted, and judged by the oracle:
/// <list type="bullet">
/// <item>some slot boots, and its content is byte-identical to a known release: v1 or v2, never the superseded v0;</item>
/// <item>before mark-primary it is v1; once mark-primary is durable it is v2;</item>
/// <item>boot control records the booted slot's real hash and size, and after the boot both copies are valid;</item>
/// <item>every <see cref="SweepOptions.RestartEvery"/>th cut, the device then finishes the job (install again if it came
/// back on v1, mark good) and must end on v2, confirmed.</item>
/// </list>
/// The run is not restarted per cut: <see cref="PowerLossDevice.BeforeOp"/> forks the media (a page-table copy) while
/// the update carries on, so a cut costs a fork, a boot and a check. <see cref="Replay(CutPoint)"/> reruns one cut for
/// real (the device stops, the update dies mid-call) and judges the same disk.
/// </summary>
public sealed class PowerCutSweep
{
    private readonly SweepOptions _o;
    private readonly Lazy<World> _world;

    public PowerCutSweep(SweepOptions options)
    {
        _o = options;
        _world = new Lazy<World>(() => World.Build(options));
    }

    public SweepOptions Options => _o;

    /// <summary>Ops whose surviving-disk digest the sweep should record (for cross-checking replays).</summary>
    internal HashSet<long>? DigestOps { get; set; }
    internal Dictionary<long, Digest> Digests { get; } = new();

    /// <summary>Runs the sweep; <paramref name="log"/> receives each failure and progress lines.</summary>
    public SweepReport Run(Action<string>? log = null)
    {
        var w = _world.Value;
        var clock = Stopwatch.StartNew();

        // Sampling needs the operation count and where the named points fall before the run: a clean run tells.
        HashSet<long>? selected = null;
        if (_o.Sample is not null)
        {
            var counting = new PowerLossDevice(w.Base.Fork(), _o.RequestBytes);
            RunUpdate(counting, w);
            selected = SelectOps(counting.OpCount, counting.PointLog);
        }

        var failures = new List<CutFailure>();
        int cuts = 0, restarts = 0, hashChecks = 0;
        var dev = new PowerLossDevice(w.Base.Fork(), _o.RequestBytes);
        dev.BeforeOp = (PowerLossDevice d, in InFlightOp op) =>
        {
            if (selected is not null && !selected.Contains(op.Index)) return;
            cuts++;
            var restart = _o.RestartEvery > 0 && cuts % _o.RestartEvery == 0;
            var hash = _o.HashCheckEvery > 0 && cuts % _o.HashCheckEvery == 0;
            if (restart) restarts++;
            if (hash) hashChecks++;
            string? problem;
            try
            {
                var fork = d.ForkCut(op, _o.Seed, _o.Policy);
                if (DigestOps?.Contains(op.Index) == true) Digests[op.Index] = DiskDigest(fork);
                problem = Judge(fork, Phase(d), restart, hash, w, out _, out _);
            }
            catch (Exception e)
            {
                problem = $"checker crashed: {e.GetType().Name}: {e.Message}";
            }
            if (problem is null) return;
            var alias = op.AfterPoint is { } p ? "@" + p.Split(',')[^1] : null;
            var f = new CutFailure(_o.IdFor(new OpCut(op.Index)), alias, $"{op.ToString()}: {problem}");
            failures.Add(f);
            log?.Invoke(f.ToString());
        };
        RunUpdate(dev, w);
        clock.Stop();
        return new SweepReport(_o.Prefix, dev.OpCount, cuts, restarts, hashChecks, clock.Elapsed, failures);
    }

    /// <summary>Replays one cut for real and judges the disk it leaves (with the restart and hash checks).</summary>
    public CutOutcome Replay(CutPoint at)
    {
        var w = _world.Value;
        var dev = new PowerLossDevice(w.Base.Fork(), _o.RequestBytes, new CutPlan(at, _o.Seed, _o.Policy));
        try
        {
            RunUpdate(dev, w);
        }
        catch (PowerCutException)
        {
        }
        var id = _o.IdFor(at);
        if (!dev.IsPoweredOff)
            return new CutOutcome(id, null, false, $"the cut point {at} was never reached: the update issued {dev.OpCount} operations", null, null, null);
        var media = (MemoryBlockDevice)dev.Media;
        var digest = DiskDigest(media);
        var problem = Judge(media, Phase(dev), true, true, w, out var booted, out var release);
        return new CutOutcome(id, null, problem is null, $"{dev.CutDescription}: {problem ?? $"OK, booted slot {booted} holding {release}"}", booted, release, digest);
    }

    /// <summary>Replays a printed id such as full/16MiB/s1/w137 or patch/4MiB/s7/@bootctl-write#2.</summary>
    public static CutOutcome Replay(string id)
    {
        var (options, at) = SweepOptions.ParseId(id);
        return new PowerCutSweep(options).Replay(at);
    }

    private HashSet<long>? SelectOps(long total, List<(string Point, long NextOp)> points)
    {
        if (_o.Sample is not { } k || k >= total) return null;
        var set = new HashSet<long>();
        // Always cut right after the points where boot control changes hands.
        foreach (var (point, next) in points)
            if (next < total && (point.StartsWith("bootctl-write") || point.StartsWith("mark-") || point.StartsWith("merkle-write") ||
                                 point.StartsWith("boot-select") || point.StartsWith("reboot")))
                set.Add(next);
        var rng = SeededRng.For(_o.Seed, 0x73616D70, (ulong)total);
        var want = set.Count + k;
        while (set.Count < Math.Min(want, total)) set.Add(rng.NextLong(total));
        return set;
    }

    /// <summary>0: before mark-primary (must boot v1); 1: during it (v1 or v2); 2: after it is durable (must boot v2).</summary>
    private static int Phase(PowerLossDevice d) =>
        d.Occurrences("mark-primary-done") > 0 ? 2 : d.Occurrences("mark-primary") > 0 ? 1 : 0;

    private void RunUpdate(PowerLossDevice dev, World w)
    {
        var disk = AbDisk.Open(dev);
        var updater = new AbUpdater(disk, SlotName.B);
        var source = _o.Kind == UpdateKind.Full ? new MemoryStream(w.Releases.V2, false) : new MemoryStream(w.Delta!, false);
        var request = _o.Kind == UpdateKind.Full
            ? new InstallRequest("v2", w.Digests[2], w.Releases.V2.Length, _o.Tries)
            : new InstallRequest("v2", null, null, _o.Tries);
        var result = updater.Install(source, request, "v2");
        if (result.Outcome != InstallOutcome.Installed) throw new InvalidOperationException($"sweep update did not install: {result.Message}");
        dev.Reach("reboot");
        var boot = Bootloader.Boot(AbDisk.Open(dev), _o.Boot);
        if (boot.Slot != SlotName.A) throw new InvalidOperationException($"after a clean install the device booted {boot.BootLine}");
        new AbUpdater(AbDisk.Open(dev), SlotName.A).MarkGood();
    }

    /// <summary>The oracle. Returns null when the disk passes, else what is wrong.</summary>
    private string? Judge(MemoryBlockDevice disk, int phase, bool restart, bool hashCheck, World w, out SlotName? booted, out string? release)
    {
        booted = null;
        release = null;
        AbDisk ab;
        try
        {
            ab = AbDisk.Open(disk);
        }
        catch (AbException e)
        {
            return $"disk unreadable after the cut: {e.Message}";
        }
        var boot = Bootloader.Boot(ab, _o.Boot);
        if (boot.Slot is not { } slot || boot.Info is not { } info) return $"no boot after the cut: {boot.Error}";
        booted = slot;
        var part = ab[slot].Partition;
        var rel = w.Matcher.Identify(disk, part.Offset, w.Releases.V2.Length);
        if (rel < 0)
            return $"booted slot {slot} ({info.Label}) matches no known release: its content has sha256 {SlotHash(ab, slot, w.Releases.V2.Length).ToHex()}";
        release = $"v{rel}";
        if (rel == 0) return $"booted slot {slot} holds v0, a superseded release";
        if (phase == 0 && rel != 1) return $"booted {release} from slot {slot} although mark-primary was never reached";
        if (phase == 2 && rel != 2) return $"booted {release} from slot {slot} although mark-primary of v2 was durable";
        if (info.Sha256 != w.Digests[rel] || info.ImageSize != w.Releases.Images[rel].Length)
            return $"boot control says slot {slot} holds sha256 {info.Sha256.Short} ({info.ImageSize} bytes), but it holds {release} ({w.Digests[rel].Short})";
        var state = ab.BootControl.Load();
        if (state.NeedsRepair)
            return $"boot control still has an invalid copy after the boot: {string.Join("; ", state.CopyErrors.Where(e => e is not null))}";
        if (hashCheck && SlotHash(ab, slot, info.ImageSize) != w.Digests[rel])
            return $"matcher and SHA-256 disagree on slot {slot}";
        if (!restart) return null;

        // The device carries on: confirm v2, or install it again, reboot, confirm.
        var updater = new AbUpdater(ab, slot);
        if (rel == 1)
        {
            var source = _o.Kind == UpdateKind.Full ? new MemoryStream(w.Releases.V2, false) : new MemoryStream(w.Delta!, false);
            var r = updater.Install(source, new InstallRequest("v2", null, null, _o.Tries), "v2");
            if (r.Outcome != InstallOutcome.Installed) return $"restarted update did not install: {r.Message}";
            var again = Bootloader.Boot(AbDisk.Open(disk), _o.Boot);
            if (again.Slot is not { } s2) return $"restarted update: no boot: {again.Error}";
            slot = s2;
            ab = AbDisk.Open(disk);
            updater = new AbUpdater(ab, slot);
        }
        updater.MarkGood();
        var final = Bootloader.Boot(AbDisk.Open(disk), _o.Boot);
        if (final.Slot is not { } fs || final.Info is not { } fi) return $"after finishing the update: no boot: {final.Error}";
        // Pages written by this restart live only in this fork: compare them without remembering them.
        var finalRel = w.Matcher.Identify(disk, ab[fs].Partition.Offset, w.Releases.V2.Length, remember: false);
        if (finalRel != 2 || fi.State != SlotState.Good)
            return $"after finishing the update the device runs slot {fs} ({fi.Describe()}) holding {(finalRel < 0 ? "no known release" : $"v{finalRel}")}, not v2 confirmed";
        return null;
    }

    private static Digest SlotHash(AbDisk ab, SlotName slot, long size)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1 << 20];
        for (long pos = 0; pos < size; pos += buf.Length)
        {
            var n = (int)Math.Min(buf.Length, size - pos);
            ab[slot].Image.Read(pos, buf.AsSpan(0, n));
            h.AppendData(buf, 0, n);
        }
        return Digest.FromSpan(h.GetHashAndReset());
    }

    internal static Digest DiskDigest(MemoryBlockDevice disk)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var zero = new byte[MemoryBlockDevice.PageSize];
        for (long i = 0; i < disk.PageCount; i++) h.AppendData(disk.PageAt(i) ?? zero);
        return Digest.FromSpan(h.GetHashAndReset());
    }

    /// <summary>Everything a sweep derives from its options once: releases, their digests, the delta, the starting disk.</summary>
    private sealed class World
    {
        public required ReleaseImages Releases { get; init; }
        public required Digest[] Digests { get; init; }
        public required byte[]? Delta { get; init; }
        public required MemoryBlockDevice Base { get; init; }
        public required ReleaseMatcher Matcher { get; init; }

        public static World Build(SweepOptions o)
        {
            var releases = ReleaseImages.Generate(o.Seed, o.ImageSize);
            var digests = releases.Images.Select(i => Digest.Sha256(i)).ToArray();
            var layout = AbLayout.ForSlot(o.ImageSize, AbLayout.MiB, o.SectorSize);
            var disk = new MemoryBlockDevice(layout.DiskBytes, o.SectorSize, "sweep-disk");
            var ab = AbDisk.Create(disk, layout, SeededRng.GuidSource(o.Seed));
            Install(ab, null, releases.V0, "v0", SlotName.A);
            Install(ab, SlotName.A, releases.V1, "v1", SlotName.B);
            byte[]? delta = null;
            if (o.Kind == UpdateKind.Patch)
            {
                var ms = new MemoryStream();
                // Format 2 (the format `hilrig delta create` makes); the releases are not ext4, so it is the block +
                // byte-level fallback, with every op kind: copies, zeros, patches and puts.
                FileDelta.Create(new MemoryStream(releases.V1, false), new MemoryStream(releases.V2, false), ms,
                    new FileDeltaOptions { Version = "v2", Level = 3 });
                delta = ms.ToArray();
            }
            return new World { Releases = releases, Digests = digests, Delta = delta, Base = disk, Matcher = new ReleaseMatcher(releases.Images) };
        }

        private static void Install(AbDisk disk, SlotName? booted, byte[] image, string version, SlotName expected)
        {
            var r = new AbUpdater(disk, booted).Install(new MemoryStream(image, false), new InstallRequest(version));
            if (r.Target != expected) throw new InvalidOperationException($"setup installed {version} into {r.Target}, expected {expected}");
            var boot = Bootloader.Boot(disk, BootPolicy.FullCheck);
            if (boot.Slot != expected) throw new InvalidOperationException($"setup: {boot.BootLine}");
            new AbUpdater(disk, expected).MarkGood();
        }
    }
}

/// <summary>
/// Says which release a slot holds without hashing it: pages are immutable, so each page object is compared with the
/// releases once (at its position) and remembered; a slot is then a few thousand dictionary lookups.
/// </summary>
internal sealed class ReleaseMatcher
{
    private readonly byte[][] _releases;
    private readonly Dictionary<byte[], int> _known = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<long, int> _zeroMasks = new();

    public ReleaseMatcher(byte[][] releases) => _releases = releases;

    /// <summary>The index of the release the slot at <paramref name="offset"/> holds (first <paramref name="size"/> bytes), or -1.</summary>
    public int Identify(MemoryBlockDevice disk, long offset, long size, bool remember = true)
    {
        const int P = MemoryBlockDevice.PageSize;
        if (offset % P != 0) throw new ArgumentException("slot offset not page-aligned");
        var all = (1 << _releases.Length) - 1;
        var blocks = (size + P - 1) / P;
        for (long i = 0; i < blocks && all != 0; i++)
        {
            var page = disk.PageAt(offset / P + i);
            int mask;
            if (page is null)
            {
                if (!_zeroMasks.TryGetValue(i, out mask)) _zeroMasks[i] = mask = Compute(ReadOnlySpan<byte>.Empty, i, size, true);
            }
            else if (!_known.TryGetValue(page, out mask))
            {
                mask = Compute(page, i, size, false);
                if (remember) _known[page] = mask;
            }
            all &= mask;
        }
        return all == 0 ? -1 : System.Numerics.BitOperations.TrailingZeroCount(all);
    }

    private int Compute(ReadOnlySpan<byte> page, long index, long size, bool zero)
    {
        const int P = MemoryBlockDevice.PageSize;
        var mask = 0;
        var valid = (int)Math.Min(P, size - index * P);
        for (var r = 0; r < _releases.Length; r++)
        {
            if (_releases[r].Length != size) continue;
            var want = _releases[r].AsSpan((int)(index * P), valid);
            var equal = zero ? want.IndexOfAnyExcept((byte)0) < 0 : page[..valid].SequenceEqual(want);
            if (equal) mask |= 1 << r;
        }
        return mask;
    }
}
