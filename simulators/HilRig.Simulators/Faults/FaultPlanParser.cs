using System.Globalization;
using HilRig.Simulators.SimNet;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HilRig.Simulators.Faults;

/// <summary>
/// Reads a fault plan from YAML. Every error names file:line:column and the key; unknown keys and
/// impossible values are rejected, never ignored.
/// <code>
/// name: office-wifi-outage
/// seed: 42                      # optional: the run seed otherwise
/// steps:
///   - at: 0s
///     impair: { from: cloud, to: cm, both_ways: true, loss: 30%, delay: 40ms, jitter: 10ms }
///   - at: 10s
///     for: 5s                    # undone (healed) 5 s later
///     partition: { hosts: [um1, um2], pick: 1, direction: both }
///   - at: 20s
///     every: 15s
///     until: 80s
///     jitter: 2s
///     power_cut: { boards: [um1, um2], pick: 1, restore_after: 3s }
///   - at: 90s
///     kill: { board: cm, process: device }
///   - at: 95s
///     heal: all
/// </code>
/// </summary>
public static class FaultPlanParser
{
    private static readonly string[] ActionKeys = ["impair", "partition", "heal", "power_cut", "kill"];
    private static readonly string[] LinkKeys = ["from", "to", "both_ways", "hosts", "pick", "direction", "all"];

    /// <summary>The keys that describe an impairment, in plans and in rig.yaml profiles.</summary>
    public static readonly IReadOnlyList<string> ImpairmentKeys =
        ["loss", "burst_loss", "delay", "jitter", "duplicate", "reorder", "reorder_gap", "corrupt", "rate", "queue_limit"];

    /// <summary>
    /// Reads an impairment profile (the same keys as a plan's impair step, e.g. <c>{loss: 30%, delay: 40ms}</c>);
    /// errors name <paramref name="source"/>:line:column and the key under <paramref name="where"/>.
    /// </summary>
    public static LinkImpairment ParseImpairment(YamlNode node, string where, string source)
    {
        var reader = new Reader(source);
        return reader.ImpairmentValuesOf(reader.Mapping(node, where), where, []);
    }

    /// <summary>
    /// Reads an impairment written as YAML text (a step's <c>"{delay: 40ms, loss: 5%}"</c>; <c>{}</c> is none). Text that is
    /// not YAML, is empty or is not an impairment is a <see cref="FaultPlanException"/> naming <paramref name="source"/>:line:column.
    /// </summary>
    public static LinkImpairment ParseImpairment(string yaml, string where, string source) =>
        ParseImpairment(LoadDocument(yaml, source, () => new FaultPlanError(source, 1, 1, where, "is empty (write {} for none, or e.g. {loss: 5%, delay: 40ms})")),
            where, source);

    /// <summary>The root node of the one YAML document in <paramref name="yaml"/>; YAML errors and an empty text become plan errors.</summary>
    private static YamlNode LoadDocument(string yaml, string source, Func<FaultPlanError> empty)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FaultPlanException(new FaultPlanError(source, (int)e.Start.Line, (int)e.Start.Column, null, $"not valid YAML: {e.Message}"), e);
        }
        return stream.Documents.Count > 0 ? stream.Documents[0].RootNode : throw new FaultPlanException(empty());
    }

    public static FaultPlan ParseFile(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (FileNotFoundException e)
        {
            throw new FaultPlanException(new FaultPlanError(path, 0, 0, null, "fault plan file not found"), e);
        }
    }

    public static FaultPlan Parse(string yaml, string source = "plan")
    {
        var document = LoadDocument(yaml, source, () => new FaultPlanError(source, 1, 1, null, "the fault plan is empty"));
        var reader = new Reader(source);
        var root = reader.Mapping(document, "plan");
        reader.OnlyKeys(root, "plan", "name", "seed", "steps");
        var name = reader.String(reader.Required(root, "name", "plan"), "name");
        ulong? seed = root.Children.TryGetValue(new YamlScalarNode("seed"), out var seedNode) ? reader.ULong(seedNode, "seed") : null;
        var stepsNode = reader.Sequence(reader.Required(root, "steps", "plan"), "steps");
        var steps = new List<FaultStep>();
        var index = 0;
        foreach (var item in stepsNode.Children) steps.Add(reader.Step(item, $"steps[{index++}]"));
        if (steps.Count == 0) throw reader.Error(stepsNode, "steps", "a plan needs at least one step");
        return new FaultPlan(name, seed, steps, source);
    }

    private sealed class Reader(string source)
    {
        public PlanPosition At(YamlNode node) => new(source, (int)node.Start.Line, (int)node.Start.Column);

        public FaultPlanException Error(YamlNode node, string key, string message) => new(new FaultPlanError(At(node), key, message));

        public YamlMappingNode Mapping(YamlNode node, string key) =>
            node as YamlMappingNode ?? throw Error(node, key, "expected a mapping (key: value lines)");

        public YamlSequenceNode Sequence(YamlNode node, string key) =>
            node as YamlSequenceNode ?? throw Error(node, key, "expected a list");

        public YamlNode Required(YamlMappingNode map, string key, string parent) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : throw Error(map, $"{parent}.{key}", "is required");

        public YamlNode? Optional(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        public void OnlyKeys(YamlMappingNode map, string where, params string[] allowed)
        {
            foreach (var key in map.Children.Keys)
            {
                var k = ((YamlScalarNode)key).Value ?? "";
                if (!allowed.Contains(k))
                    throw Error(key, $"{where}.{k}", $"unknown key (allowed: {string.Join(", ", allowed)})");
            }
        }

        public string String(YamlNode node, string key) =>
            node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Error(node, key, "expected a non-empty text value");

        public ulong ULong(YamlNode node, string key) =>
            ulong.TryParse(String(node, key), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw Error(node, key, $"'{String(node, key)}' is not a non-negative integer");

        public TimeSpan Duration(YamlNode node, string key) =>
            ImpairmentValues.TryDuration(String(node, key), out var v, out var problem) ? v : throw Error(node, key, problem!);

        private double Probability(YamlNode node, string key) =>
            ImpairmentValues.TryProbability(String(node, key), out var v, out var problem) ? v : throw Error(node, key, problem!);

        private long Rate(YamlNode node, string key) =>
            ImpairmentValues.TryRate(String(node, key), out var v, out var problem) ? v : throw Error(node, key, problem!);

        private bool Bool(YamlNode node, string key) => String(node, key) switch
        {
            "true" or "yes" => true,
            "false" or "no" => false,
            var v => throw Error(node, key, $"'{v}' is not true or false"),
        };

        public FaultStep Step(YamlNode node, string where)
        {
            var map = Mapping(node, where);
            OnlyKeys(map, where, ["at", "jitter", "every", "until", "for", .. ActionKeys]);
            var at = Duration(Required(map, "at", where), $"{where}.at");
            var actions = ActionKeys.Where(k => Optional(map, k) is not null).ToList();
            if (actions.Count != 1)
                throw Error(map, where, actions.Count == 0
                    ? $"needs one action ({string.Join(", ", ActionKeys)})"
                    : $"has {actions.Count} actions ({string.Join(", ", actions)}); write one step per action");
            var verb = actions[0];
            var actionNode = Optional(map, verb)!;
            FaultAction action = verb switch
            {
                "impair" => Impair(actionNode, $"{where}.impair"),
                "partition" => Partition(actionNode, $"{where}.partition"),
                "heal" => Heal(actionNode, $"{where}.heal"),
                "power_cut" => PowerCut(actionNode, $"{where}.power_cut"),
                _ => Kill(actionNode, $"{where}.kill"),
            };
            var step = new FaultStep(at, action, At(node).ToString())
            {
                Position = At(node),
                Jitter = Optional(map, "jitter") is { } j ? Duration(j, $"{where}.jitter") : TimeSpan.Zero,
                Every = Optional(map, "every") is { } e ? Duration(e, $"{where}.every") : null,
                Until = Optional(map, "until") is { } u ? Duration(u, $"{where}.until") : null,
                For = Optional(map, "for") is { } f ? Duration(f, $"{where}.for") : null,
            };
            if (step.Every is { } every && every <= TimeSpan.Zero) throw Error(Optional(map, "every")!, $"{where}.every", "must be above 0");
            if (step.Every is not null && step.Until is null) throw Error(map, $"{where}.until", "is required with every (a repeat needs an end)");
            if (step.Until is { } until && until < at) throw Error(Optional(map, "until")!, $"{where}.until", $"{until.TotalSeconds} s is before at ({at.TotalSeconds} s)");
            if (step.Until is not null && step.Every is null) throw Error(map, $"{where}.every", "is required with until");
            if (step.For is { } dur && dur <= TimeSpan.Zero) throw Error(Optional(map, "for")!, $"{where}.for", "must be above 0");
            if (step.For is not null && action is KillFault or HealFault or PowerCutFault)
                throw Error(Optional(map, "for")!, $"{where}.for", $"{verb} cannot be undone by for; power_cut has restore_after");
            if (step.Every is { } ev && step.For is { } fo && fo >= ev)
                throw Error(Optional(map, "for")!, $"{where}.for", $"{fo.TotalSeconds} s is not shorter than every ({ev.TotalSeconds} s): occurrences would overlap");
            return step;
        }

        private HostSelection Hosts(YamlMappingNode map, string where, string listKey, string? singleKey)
        {
            List<string> hosts;
            if (singleKey is not null && Optional(map, singleKey) is { } single)
                hosts = [String(single, $"{where}.{singleKey}")];
            else
            {
                var listNode = Optional(map, listKey) ?? throw Error(map, $"{where}.{listKey}", singleKey is null ? "is required" : $"is required (or {singleKey})");
                hosts = Sequence(listNode, $"{where}.{listKey}").Children.Select((n, i) => String(n, $"{where}.{listKey}[{i}]")).ToList();
                if (hosts.Count == 0) throw Error(listNode, $"{where}.{listKey}", "lists no host");
                if (hosts.Distinct().Count() != hosts.Count) throw Error(listNode, $"{where}.{listKey}", "lists a host twice");
            }
            int? pick = null;
            if (Optional(map, "pick") is { } pickNode)
            {
                var p = ULong(pickNode, $"{where}.pick");
                if (p == 0 || p > (ulong)hosts.Count) throw Error(pickNode, $"{where}.pick", $"{p} is not between 1 and the {hosts.Count} hosts listed");
                pick = (int)p;
            }
            return new HostSelection(hosts, pick);
        }

        private PartitionDirection Direction(YamlMappingNode map, string where) => Optional(map, "direction") is { } d
            ? String(d, $"{where}.direction") switch
            {
                "both" => PartitionDirection.Both,
                "outbound" => PartitionDirection.Outbound,
                "inbound" => PartitionDirection.Inbound,
                var v => throw Error(d, $"{where}.direction", $"'{v}' is not both, outbound or inbound"),
            }
            : PartitionDirection.Both;

        /// <summary>The impairment keys of a mapping (loss, delay, …), validated; other keys must be in <paramref name="otherKeys"/>.</summary>
        public LinkImpairment ImpairmentValuesOf(YamlMappingNode map, string where, IReadOnlyList<string> otherKeys)
        {
            OnlyKeys(map, where, [.. otherKeys, .. ImpairmentKeys]);
            var impairment = new LinkImpairment();
            if (Optional(map, "loss") is { } loss) impairment = impairment with { Loss = Probability(loss, $"{where}.loss") };
            if (Optional(map, "delay") is { } delay) impairment = impairment with { Delay = Duration(delay, $"{where}.delay") };
            if (Optional(map, "jitter") is { } jitter) impairment = impairment with { Jitter = Duration(jitter, $"{where}.jitter") };
            if (Optional(map, "duplicate") is { } dup) impairment = impairment with { Duplicate = Probability(dup, $"{where}.duplicate") };
            if (Optional(map, "reorder") is { } reorder) impairment = impairment with { Reorder = Probability(reorder, $"{where}.reorder") };
            if (Optional(map, "reorder_gap") is { } gap) impairment = impairment with { ReorderGap = Duration(gap, $"{where}.reorder_gap") };
            if (Optional(map, "corrupt") is { } corrupt) impairment = impairment with { Corrupt = Probability(corrupt, $"{where}.corrupt") };
            if (Optional(map, "rate") is { } rate) impairment = impairment with { RateBitsPerSecond = Rate(rate, $"{where}.rate") };
            if (Optional(map, "queue_limit") is { } ql) impairment = impairment with { QueueLimit = Duration(ql, $"{where}.queue_limit") };
            if (Optional(map, "burst_loss") is { } bl)
            {
                var b = Mapping(bl, $"{where}.burst_loss");
                OnlyKeys(b, $"{where}.burst_loss", "p", "r", "loss_in_good", "loss_in_bad");
                impairment = impairment with
                {
                    BurstLoss = new GilbertElliott(
                        Probability(Required(b, "p", $"{where}.burst_loss"), $"{where}.burst_loss.p"),
                        Probability(Required(b, "r", $"{where}.burst_loss"), $"{where}.burst_loss.r"),
                        Optional(b, "loss_in_good") is { } g ? Probability(g, $"{where}.burst_loss.loss_in_good") : 0,
                        Optional(b, "loss_in_bad") is { } bad ? Probability(bad, $"{where}.burst_loss.loss_in_bad") : 1),
                };
            }
            var problems = impairment.Problems();
            if (problems.Count > 0) throw new FaultPlanException(problems.Select(p => new FaultPlanError(At(map), $"{where}.{p.Key}", p.Message)).ToList());
            return impairment;
        }

        private FaultAction Impair(YamlNode node, string where)
        {
            var map = Mapping(node, where);
            var impairment = ImpairmentValuesOf(map, where, LinkKeys);
            var from = Optional(map, "from") is { } f ? String(f, $"{where}.from") : null;
            var to = Optional(map, "to") is { } t ? String(t, $"{where}.to") : null;
            var all = Optional(map, "all") is { } a && Bool(a, $"{where}.all");
            var hasHosts = Optional(map, "hosts") is not null;
            var forms = (from is not null || to is not null ? 1 : 0) + (hasHosts ? 1 : 0) + (all ? 1 : 0);
            if (forms != 1) throw Error(map, where, "name exactly one of: from + to (a link), hosts (their links), all: true");
            if ((from is null) != (to is null)) throw Error(map, where, "from and to go together");
            if (from is not null && from == to) throw Error(map, $"{where}.to", $"'{to}' is also from: a link needs two hosts");
            return new ImpairFault(impairment, from, to, Optional(map, "both_ways") is { } bw && Bool(bw, $"{where}.both_ways"),
                hasHosts ? Hosts(map, where, "hosts", null) : null, Direction(map, where));
        }

        private FaultAction Partition(YamlNode node, string where)
        {
            var map = Mapping(node, where);
            OnlyKeys(map, where, "hosts", "pick", "direction");
            return new PartitionFault(Hosts(map, where, "hosts", null), Direction(map, where));
        }

        private FaultAction Heal(YamlNode node, string where)
        {
            if (node is YamlScalarNode { Value: "all" }) return new HealFault(null);
            var map = node as YamlMappingNode ?? throw Error(node, where, "expected 'all' or a mapping with hosts");
            OnlyKeys(map, where, "hosts", "pick");
            return new HealFault(Hosts(map, where, "hosts", null));
        }

        private FaultAction PowerCut(YamlNode node, string where)
        {
            var map = Mapping(node, where);
            OnlyKeys(map, where, "board", "boards", "pick", "restore_after");
            var restore = Optional(map, "restore_after") is { } r ? Duration(r, $"{where}.restore_after") : (TimeSpan?)null;
            if (restore is { } rr && rr <= TimeSpan.Zero) throw Error(Optional(map, "restore_after")!, $"{where}.restore_after", "must be above 0");
            return new PowerCutFault(Hosts(map, where, "boards", "board"), restore);
        }

        private FaultAction Kill(YamlNode node, string where)
        {
            var map = Mapping(node, where);
            OnlyKeys(map, where, "board", "boards", "pick", "process");
            return new KillFault(Hosts(map, where, "boards", "board"), Optional(map, "process") is { } p ? String(p, $"{where}.process") : null);
        }
    }
}
