using HilRig.Rig.Model;
using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;
using YamlDotNet.RepresentationModel;

namespace HilRig.Steps.Network;

/// <summary>
/// The impairment profiles of a SimNet rig (<c>network.profiles</c>), with <c>default_profile</c> and each board's
/// <c>network.profile</c> resolved. A profile uses the keys of a fault plan's impair step:
/// <code>
/// network:
///   type: simnet
///   profiles:
///     clean: {}
///     office-wifi: {loss: 2%, delay: 8ms, jitter: 4ms}
///   default_profile: clean
/// </code>
/// Bad values are rig-file errors at file:line:column naming the key (<c>network.profiles.office-wifi.loss</c>).
/// </summary>
public sealed class SimNetProfiles
{
    private readonly Dictionary<string, LinkImpairment> _profiles;

    private SimNetProfiles(Dictionary<string, LinkImpairment> profiles, LinkImpairment @default, IReadOnlyDictionary<string, LinkImpairment> boards)
    {
        _profiles = profiles;
        Default = @default;
        Boards = boards;
    }

    /// <summary>What every link starts with (<c>default_profile</c>, else none).</summary>
    public LinkImpairment Default { get; }

    /// <summary>Boards that name a profile of their own, by board name.</summary>
    public IReadOnlyDictionary<string, LinkImpairment> Boards { get; }

    public IReadOnlyCollection<string> Names => _profiles.Keys;

    public LinkImpairment this[string name] =>
        _profiles.TryGetValue(name, out var p) ? p
            : throw new ArgumentException($"the rig has no impairment profile '{name}' (profiles: {(_profiles.Count == 0 ? "none" : string.Join(", ", _profiles.Keys.Order()))})");

    /// <summary>Reads and checks the profiles of a SimNet rig; throws <see cref="RigFileException"/> with every error.</summary>
    public static SimNetProfiles Read(RigDefinition rig)
    {
        var errors = new List<RigFileError>();
        var profiles = new Dictionary<string, LinkImpairment>(StringComparer.Ordinal);
        var options = rig.Network.Options;
        if (options.Yaml("profiles") is { } node)
        {
            var at = options.LocationOf("profiles");
            if (node is not YamlMappingNode map)
                errors.Add(at.Error("expected a mapping of profile name → impairment (loss, delay, jitter, …)"));
            else
                foreach (var (key, value) in map.Children)
                {
                    var name = ((YamlScalarNode)key).Value ?? "";
                    var where = $"network.profiles.{name}";
                    try
                    {
                        profiles[name] = value is YamlScalarNode { Value: null or "" } ? LinkImpairment.None : FaultPlanParser.ParseImpairment(value, where, at.File);
                    }
                    catch (FaultPlanException e)
                    {
                        errors.AddRange(e.Errors.Select(x => new RigFileError(x.File, x.Line, x.Column, x.Key ?? where, x.Message)));
                    }
                }
        }
        var @default = LinkImpairment.None;
        if (options.String("default_profile") is { } defaultName)
        {
            if (profiles.TryGetValue(defaultName, out var p)) @default = p;
            else if (!errors.Any()) errors.Add(options.LocationOf("default_profile").Error(Unknown(defaultName, profiles)));
        }
        var boards = new Dictionary<string, LinkImpairment>();
        foreach (var board in rig.Boards)
        {
            if (board.Network.String("profile") is not { } name) continue;
            if (profiles.TryGetValue(name, out var p)) boards[board.Name] = p;
            else if (!errors.Any(e => e.KeyPath.StartsWith("network.profiles", StringComparison.Ordinal)))
                errors.Add(board.Network.LocationOf("profile").Error(Unknown(name, profiles)));
        }
        if (errors.Count > 0) throw new RigFileException(errors);
        return new SimNetProfiles(profiles, @default, boards);
    }

    private static string Unknown(string name, Dictionary<string, LinkImpairment> profiles) =>
        $"no impairment profile '{name}' (network.profiles has {(profiles.Count == 0 ? "none" : string.Join(", ", profiles.Keys.Order()))})";
}
