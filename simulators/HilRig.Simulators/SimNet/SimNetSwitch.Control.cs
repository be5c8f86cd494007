namespace HilRig.Simulators.SimNet;

/// <summary>The control API steps and fault plans use: impairments, partitions, statistics.</summary>
public sealed partial class SimNetSwitch
{
    private readonly List<SimNetControlEvent> _controlLog = new();

    // Host-level settings, remembered so a host that joins later gets them on its new links too: a fault plan may
    // impair "every link of main" or partition it before the other hosts have booted. Guarded by _gate.
    private LinkImpairment? _allImpairment;
    private readonly Dictionary<string, (LinkImpairment Impairment, PartitionDirection Direction)> _hostImpairments = new();
    private readonly List<PartitionRule> _partitions = new();

    /// <summary>
    /// One partition in force: <see cref="Inside"/> cut off from <see cref="Outside"/> (null: from every other host, so hosts
    /// joining later are cut off too), in <see cref="Direction"/> as seen from the inside. A heal takes hosts out of both sides.
    /// </summary>
    private sealed record PartitionRule(HashSet<string> Inside, HashSet<string>? Outside, PartitionDirection Direction)
    {
        public bool Blocks(string from, string to)
        {
            bool IsOutside(string host) => Outside?.Contains(host) ?? !Inside.Contains(host);
            if (Inside.Contains(from) && IsOutside(to)) return Direction != PartitionDirection.Inbound;
            if (IsOutside(from) && Inside.Contains(to)) return Direction != PartitionDirection.Outbound;
            return false;
        }

        public bool IsEmpty => Inside.Count == 0 || Outside is { Count: 0 };
    }

    /// <summary>Whether the direction <paramref name="from"/> → <paramref name="to"/> is cut: the one rule, from the partitions in force (called under _gate).</summary>
    private bool IsPartitioned_NeedsLock(string from, string to) => _partitions.Any(p => p.Blocks(from, to));

    /// <summary>Sets every link's <see cref="LinkState.Blocked"/> from the partitions in force (called under _gate).</summary>
    private void RecomputeBlocked_NeedsLock()
    {
        foreach (var link in AllLinks()) link.Blocked = IsPartitioned_NeedsLock(link.From, link.To);
    }

    /// <summary>The state a new link direction starts in, from the host-level settings so far (called under _gate).</summary>
    private (LinkImpairment Impairment, bool Blocked) InitialLinkState_NeedsLock(string from, string to)
    {
        var impairment = _allImpairment ?? ProfileOf(from, to);
        if (_hostImpairments.TryGetValue(to, out var inbound) && inbound.Direction != PartitionDirection.Outbound) impairment = inbound.Impairment;
        if (_hostImpairments.TryGetValue(from, out var outbound) && outbound.Direction != PartitionDirection.Inbound) impairment = outbound.Impairment;
        return (impairment, IsPartitioned_NeedsLock(from, to));
    }

    /// <summary>The rig's profile for a link direction: the sender's board profile, else the receiver's, else the default.</summary>
    private LinkImpairment ProfileOf(string from, string to) =>
        _options.HostImpairments.GetValueOrDefault(from) ?? _options.HostImpairments.GetValueOrDefault(to) ?? _options.DefaultImpairment;

    /// <summary>Every control action so far, in order.</summary>
    public IReadOnlyList<SimNetControlEvent> ControlLog
    {
        get { lock (_controlLog) return _controlLog.ToList(); }
    }

    /// <summary>Raised after each control action (the fault-plan recorder listens).</summary>
    public event Action<SimNetControlEvent>? ControlApplied;

    private void Record(string action) => Record(new SimNetControlEvent(_time.GetUtcNow(), action));

    private void Record(SimNetControlEvent e)
    {
        lock (_controlLog) _controlLog.Add(e);
        ControlApplied?.Invoke(e);
    }

    /// <summary>Sets the impairment of the direction <paramref name="from"/> → <paramref name="to"/>.</summary>
    public void Impair(string from, string to, LinkImpairment impairment)
    {
        impairment.Validated($"impairment {from} -> {to}");
        Link(from, to).Impairment = impairment;
        Record($"impair {from} -> {to}: {impairment}");
    }

    /// <summary>Sets the impairment of both directions between two hosts.</summary>
    public void ImpairBoth(string a, string b, LinkImpairment impairment)
    {
        impairment.Validated($"impairment {a} <-> {b}");
        Link(a, b).Impairment = impairment;
        Link(b, a).Impairment = impairment;
        Record($"impair {a} <-> {b}: {impairment}");
    }

    /// <summary>Sets the impairment of every link touching <paramref name="host"/> in the given direction(s).</summary>
    public void ImpairHost(string host, LinkImpairment impairment, PartitionDirection direction = PartitionDirection.Both)
    {
        impairment.Validated($"impairment of {host}");
        var port = Port(host);
        lock (_gate)
        {
            if (impairment.IsNone && direction == PartitionDirection.Both) _hostImpairments.Remove(host);
            else _hostImpairments[host] = (impairment, direction);
        }
        foreach (var other in _ports)
        {
            if (other == port) continue;
            if (direction != PartitionDirection.Inbound) _links[port.Index, other.Index]!.Impairment = impairment;
            if (direction != PartitionDirection.Outbound) _links[other.Index, port.Index]!.Impairment = impairment;
        }
        Record($"impair {host} ({direction.ToString().ToLowerInvariant()}): {impairment}");
    }

    /// <summary>Sets every link direction to <paramref name="impairment"/> (None clears all).</summary>
    public void ImpairAll(LinkImpairment impairment)
    {
        impairment.Validated("impairment of all links");
        lock (_gate)
        {
            _allImpairment = impairment;
            _hostImpairments.Clear();
        }
        foreach (var link in AllLinks()) link.Impairment = impairment;
        Record($"impair all: {impairment}");
    }

    public LinkImpairment ImpairmentOf(string from, string to) => Link(from, to).Impairment;

    /// <summary>
    /// Undoes <see cref="Impair"/> on the direction <paramref name="from"/> → <paramref name="to"/>: back to what the host-level
    /// settings in force and the rig's profile give it, not to a clean link.
    /// </summary>
    public void Restore(string from, string to)
    {
        var link = Link(from, to);
        lock (_gate) link.Impairment = InitialLinkState_NeedsLock(from, to).Impairment;
        Record($"restore {from} -> {to}: {link.Impairment}");
    }

    /// <summary>Undoes <see cref="ImpairHost"/>: the host's links in those direction(s) go back to the settings in force and the rig's profile.</summary>
    public void RestoreHost(string host, PartitionDirection direction = PartitionDirection.Both)
    {
        var port = Port(host);
        lock (_gate)
        {
            _hostImpairments.Remove(host);
            foreach (var other in _ports)
            {
                if (other == port) continue;
                if (direction != PartitionDirection.Inbound) _links[port.Index, other.Index]!.Impairment = InitialLinkState_NeedsLock(host, other.Host).Impairment;
                if (direction != PartitionDirection.Outbound) _links[other.Index, port.Index]!.Impairment = InitialLinkState_NeedsLock(other.Host, host).Impairment;
            }
        }
        Record($"restore {host} ({direction.ToString().ToLowerInvariant()}): the rig's profile");
    }

    /// <summary>Undoes every impairment: each link back on the rig's profile (clean where the rig sets none), hosts joining later too.</summary>
    public void RestoreAll()
    {
        lock (_gate)
        {
            _allImpairment = null;
            _hostImpairments.Clear();
            foreach (var link in AllLinks()) link.Impairment = ProfileOf(link.From, link.To);
        }
        Record("restore all: the rig's profile");
    }

    /// <summary>
    /// Cuts <paramref name="hosts"/> off from every other host (not from each other), in one or both
    /// directions. Frames already waiting in the delay line for a cut link are dropped too.
    /// </summary>
    public void Partition(IReadOnlyCollection<string> hosts, PartitionDirection direction = PartitionDirection.Both)
    {
        foreach (var h in hosts) Port(h);
        lock (_gate)
        {
            _partitions.Add(new PartitionRule(hosts.ToHashSet(), null, direction));
            RecomputeBlocked_NeedsLock();
        }
        Record(new SimNetControlEvent(_time.GetUtcNow(), $"partition {string.Join(",", hosts)} ({direction.ToString().ToLowerInvariant()})")
        {
            Partitioned = hosts.ToList(),
            Direction = direction,
        });
    }

    /// <summary>Splits the network into two sides that cannot reach each other; hosts in neither side are untouched.</summary>
    public void Partition(IReadOnlyCollection<string> sideA, IReadOnlyCollection<string> sideB, PartitionDirection direction = PartitionDirection.Both)
    {
        foreach (var a in sideA)
        foreach (var b in sideB)
        {
            if (a == b) throw new ArgumentException($"host '{a}' is on both sides of the partition");
            Port(a);
            Port(b);
        }
        lock (_gate)
        {
            _partitions.Add(new PartitionRule(sideA.ToHashSet(), sideB.ToHashSet(), direction));
            RecomputeBlocked_NeedsLock();
        }
        Record($"partition {string.Join(",", sideA)} | {string.Join(",", sideB)} ({direction.ToString().ToLowerInvariant()})");
    }

    /// <summary>
    /// Takes <paramref name="hosts"/> out of every partition (either side); a link stays cut while another partition still
    /// covers it.
    /// </summary>
    public void Heal(IReadOnlyCollection<string> hosts)
    {
        foreach (var h in hosts) Port(h);
        lock (_gate)
        {
            foreach (var p in _partitions)
            {
                p.Inside.ExceptWith(hosts);
                p.Outside?.ExceptWith(hosts);
            }
            _partitions.RemoveAll(p => p.IsEmpty);
            RecomputeBlocked_NeedsLock();
        }
        Record(new SimNetControlEvent(_time.GetUtcNow(), $"heal {string.Join(",", hosts)}") { Healed = hosts.ToList() });
    }

    public void HealAll()
    {
        lock (_gate)
        {
            _partitions.Clear();
            RecomputeBlocked_NeedsLock();
        }
        Record(new SimNetControlEvent(_time.GetUtcNow(), "heal all") { HealedAll = true });
    }

    public bool IsBlocked(string from, string to) => Link(from, to).Blocked;

    public LinkStatistics Statistics(string from, string to) => Link(from, to).Snapshot();

    public IReadOnlyList<LinkStatistics> AllStatistics() => AllLinks().Select(l => l.Snapshot()).ToList();

    private LinkState Link(string from, string to)
    {
        if (from == to) throw new ArgumentException($"a link needs two different hosts ('{from}' twice)");
        return _links[Port(from).Index, Port(to).Index]!;
    }

    private IEnumerable<LinkState> AllLinks()
    {
        var ports = _ports;
        foreach (var a in ports)
        foreach (var b in ports)
            if (a != b) yield return _links[a.Index, b.Index]!;
    }
}
