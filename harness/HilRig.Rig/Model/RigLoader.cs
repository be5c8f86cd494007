using System.Globalization;
using HilRig.Rig.Model.Schema;
using HilRig.Engine.Runtime;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace HilRig.Rig.Model;

/// <summary>
/// Reads a rig file with YamlDotNet's node model (which keeps positions) and checks it against
/// <see cref="RigSchema"/>: unknown keys, wrong types and missing options are reported with
/// file:line:column and the key path, all at once.
/// </summary>
public sealed class RigLoader
{
    private static readonly string[] TopLevelKeys = ["rig", "description", "boards", "network", "cloud"];
    private static readonly string[] BoardKeys = ["kind", "roles", "drivers", "network", "description"];

    private readonly string _file;
    private readonly List<RigFileError> _errors = new();

    private RigLoader(string file) => _file = file;

    public static RigDefinition Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RigFileException([new RigFileError(path, 0, 0, "", $"cannot read the rig file: {e.Message}")]);
        }
        return Parse(text, path);
    }

    public static RigDefinition Parse(string text, string path)
    {
        var loader = new RigLoader(path);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var reason = (e.InnerException?.Message ?? e.Message).Replace("\n", " ");
            throw new RigFileException([new RigFileError(path, (int)e.Start.Line, (int)e.Start.Column, "", $"not valid YAML: {reason}")]);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some malformed input, without a position; find where it stopped.
            var (line, column) = LastReadablePosition(text);
            throw new RigFileException([new RigFileError(path, line, column, "", "not valid YAML: the parser could not continue after this point (unclosed bracket or quote?)")]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new RigFileException([new RigFileError(path, 1, 1, "", "a rig file is a mapping with 'boards:' (and optionally 'rig:', 'network:', 'cloud:')")]);
        var rig = loader.ReadRig(root);
        if (loader._errors.Count > 0) throw new RigFileException(loader._errors);
        Boards.RigNetworks.Validate(rig!);
        return rig!;
    }

    private static (int Line, int Column) LastReadablePosition(string text)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        var last = (Line: 1, Column: 1);
        try
        {
            while (parser.MoveNext())
                if (parser.Current is { } e) last = ((int)e.End.Line, (int)e.End.Column);
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
        }
        return last;
    }

    private RigDefinition? ReadRig(YamlMappingNode root)
    {
        CheckKeys(root, "", TopLevelKeys);
        var name = ScalarOf(root, "rig", "") ?? Path.GetFileNameWithoutExtension(_file);
        var description = ScalarOf(root, "description", "");
        var boards = new List<BoardDefinition>();
        if (Child(root, "boards") is { } boardsNode)
        {
            if (boardsNode is YamlMappingNode boardMap)
            {
                foreach (var (key, value) in boardMap.Children)
                {
                    var boardName = ((YamlScalarNode)key).Value ?? "";
                    if (!IsValidName(boardName))
                        Error(key, $"boards.{boardName}", "a board name uses letters, digits, '-' and '_' (it becomes part of file and namespace names)");
                    else if (ReadBoard(boardName, value) is { } board) boards.Add(board);
                }
            }
            else Error(boardsNode, "boards", "expected a mapping of board name → board");
        }
        else Error(root, "boards", "missing: a rig needs at least one board");

        var network = ReadNetwork(Child(root, "network"));
        CloudDefinition? cloud = null;
        if (Child(root, "cloud") is { } cloudNode) cloud = new CloudDefinition(ReadOptions(cloudNode, "cloud", RigSchema.Cloud));
        return new RigDefinition(name, _file, description, boards, network, cloud);
    }

    private BoardDefinition? ReadBoard(string name, YamlNode node)
    {
        var path = $"boards.{name}";
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "expected a mapping with 'kind:' and 'drivers:'");
            return null;
        }
        CheckKeys(map, path, BoardKeys);
        var kindText = ScalarOf(map, "kind", path);
        BoardKind kind;
        if (kindText is null)
        {
            Error(map, path + ".kind", "missing: one of process|qemu|container|physical");
            return null;
        }
        if (!Enum.TryParse(kindText, ignoreCase: true, out kind) || int.TryParse(kindText, out _))
        {
            Error(Child(map, "kind")!, path + ".kind", $"'{kindText}' is not a board kind; expected one of process|qemu|container|physical");
            return null;
        }
        var roles = Child(map, "roles") is { } rolesNode ? ReadStringList(rolesNode, path + ".roles") : [];

        var drivers = new Dictionary<string, OptionValues>();
        var driversNode = Child(map, "drivers");
        if (driversNode is YamlMappingNode driverMap)
        {
            foreach (var (key, value) in driverMap.Children)
            {
                var driverName = ((YamlScalarNode)key).Value ?? "";
                var driverPath = $"{path}.drivers.{driverName}";
                var spec = RigSchema.FindDriver(driverName);
                if (spec is null)
                {
                    Error(key, driverPath, $"unknown driver '{driverName}'{Suggest(driverName, RigSchema.Drivers.Select(d => d.Name))}; " +
                        $"drivers: {string.Join(", ", RigSchema.Drivers.Select(d => d.Name))}");
                    continue;
                }
                if (!spec.Kinds.Contains(kind))
                {
                    Error(key, driverPath, $"driver '{driverName}' does not work with {kind.ToString().ToLowerInvariant()} boards");
                    continue;
                }
                drivers[driverName] = ReadOptions(value, driverPath, spec.Options);
            }
        }
        else if (driversNode is not null && !IsNull(driversNode))
        {
            Error(driversNode, path + ".drivers", "expected a mapping of driver name → options");
        }

        foreach (var required in RigSchema.RequiredDrivers(kind).Where(r => !drivers.ContainsKey(r) && !RigSchema.ImplicitDrivers(kind).Contains(r)))
            Error(driversNode ?? map, $"{path}.drivers", $"a {kind.ToString().ToLowerInvariant()} board needs the '{required}' driver");
        if (kind == BoardKind.Physical) CheckPhysicalDrivers(path, driversNode ?? map, drivers);
        foreach (var implicitDriver in RigSchema.ImplicitDrivers(kind).Where(d => !drivers.ContainsKey(d)))
            drivers[implicitDriver] = ReadOptions(null, $"{path}.drivers.{implicitDriver}", RigSchema.FindDriver(implicitDriver)!.Options, Location(map, path));

        var network = ReadOptions(Child(map, "network"), path + ".network", RigSchema.BoardNetwork, Location(map, path + ".network"));
        return new BoardDefinition(name, kind, roles, drivers, network, Location(map, path));
    }

    /// <summary>
    /// A physical board switches its power one way, and finds each serial adapter one way: two power drivers, or a
    /// port given both by path and by udev match (or neither), would leave it to chance which one is used.
    /// </summary>
    private void CheckPhysicalDrivers(string path, YamlNode driversNode, Dictionary<string, OptionValues> drivers)
    {
        var power = RigSchema.PowerDrivers.Where(drivers.ContainsKey).ToList();
        if (power.Count == 0)
            Error(driversNode, $"{path}.drivers", $"a physical board needs one power driver: {string.Join(", ", RigSchema.PowerDrivers)}");
        foreach (var extra in power.Skip(1))
        {
            var at = drivers[extra].Location;
            _errors.Add(at.Error($"'{power[0]}' ({drivers[power[0]].Location}) and '{extra}' both switch this board's power; name one"));
        }
        foreach (var name in new[] { "serial", "relay_power" }.Where(drivers.ContainsKey))
        {
            var options = drivers[name];
            var hasPort = options.Has("port");
            var hasMatch = options.Map("match").Count > 0;
            if (hasPort == hasMatch)
                _errors.Add(options.Location.Error(hasPort
                    ? "give the port by path (port:) or by udev properties (match:), not both"
                    : "missing 'port' (a tty path) or 'match' (udev properties such as ID_SERIAL_SHORT)"));
        }
        if (drivers.TryGetValue("relay_power", out var relay))
        {
            var protocol = relay.String("protocol");
            if (protocol == "lcus" && relay.Int("channel") is < 1 or > 255)
                _errors.Add(relay.LocationOf("channel").Error($"an LCUS channel is 1..255, got {relay.Int("channel")}"));
            if (protocol == "modbus-rtu" && relay.Int("unit") is < 1 or > 247)
                _errors.Add(relay.LocationOf("unit").Error($"a Modbus unit address is 1..247, got {relay.Int("unit")}"));
            if (protocol == "modbus-rtu" && relay.Int("coil") is < 0 or > 0xFFFF)
                _errors.Add(relay.LocationOf("coil").Error($"a Modbus coil is 0..65535, got {relay.Int("coil")}"));
        }
        if (drivers.TryGetValue("i2c_power", out var i2c) && i2c.Has("pin") && i2c.Int("pin") is var pin && (pin < 0 || pin >= (i2c.String("chip") == "mcp23008" ? 8 : 16)))
            _errors.Add(i2c.LocationOf("pin").Error($"an {i2c.String("chip")} has pins 0..{(i2c.String("chip") == "mcp23008" ? 7 : 15)}, got {pin}"));
    }

    private NetworkDefinition ReadNetwork(YamlNode? node)
    {
        if (node is null) return new NetworkDefinition("none", OptionValues.Empty(new YamlLocation(_file, 0, 0, "network")));
        if (node is not YamlMappingNode map)
        {
            Error(node, "network", "expected a mapping with 'type:'");
            return new NetworkDefinition("none", OptionValues.Empty(Location(node, "network")));
        }
        var type = ScalarOf(map, "type", "network") ?? "none";
        if (!RigSchema.NetworkTypes.TryGetValue(type, out var specs))
        {
            Error(Child(map, "type")!, "network.type", $"'{type}' is not a network type; expected one of {string.Join("|", RigSchema.NetworkTypes.Keys)}");
            return new NetworkDefinition("none", OptionValues.Empty(Location(node, "network")));
        }
        var withType = specs.Prepend(OptionSpec.String("type", "network type", "none")).ToList();
        return new NetworkDefinition(type, ReadOptions(map, "network", withType));
    }

    private OptionValues ReadOptions(YamlNode? node, string path, IReadOnlyList<OptionSpec> specs, YamlLocation? fallback = null)
    {
        var location = node is null ? fallback ?? new YamlLocation(_file, 0, 0, path) : Location(node, path);
        var values = new Dictionary<string, object?>();
        var locations = new Dictionary<string, YamlLocation>();
        var map = node as YamlMappingNode;
        if (node is not null && map is null && !IsNull(node))
            Error(node, path, "expected a mapping of option → value");
        if (map is not null)
        {
            foreach (var (key, value) in map.Children)
            {
                var name = ((YamlScalarNode)key).Value ?? "";
                var spec = specs.FirstOrDefault(s => s.Name == name);
                if (spec is null)
                {
                    Error(key, $"{path}.{name}", $"unknown option{Suggest(name, specs.Select(s => s.Name))}; options here: {string.Join(", ", specs.Select(s => s.Name))}");
                    continue;
                }
                locations[name] = Location(value, $"{path}.{name}");
                values[name] = Convert(value, spec, $"{path}.{name}");
            }
        }
        foreach (var spec in specs.Where(s => !values.ContainsKey(s.Name)))
        {
            if (spec.Required) _errors.Add(location.Error($"missing option '{spec.Name}' ({spec.Description})"));
            else values[spec.Name] = spec.Default;
        }
        return new OptionValues(values, locations, location);
    }

    private object? Convert(YamlNode node, OptionSpec spec, string path)
    {
        switch (spec.Type)
        {
            case OptionType.Yaml:
                return node;
            case OptionType.StringList:
                return ReadStringList(node, path);
            case OptionType.StringMap:
                if (node is not YamlMappingNode map)
                {
                    Error(node, path, $"expected a {spec.TypeName}");
                    return spec.Default;
                }
                var dict = new Dictionary<string, string>();
                foreach (var (k, v) in map.Children)
                {
                    if (v is YamlScalarNode sv) dict[((YamlScalarNode)k).Value ?? ""] = sv.Value ?? "";
                    else Error(v, $"{path}.{((YamlScalarNode)k).Value}", "expected a plain value");
                }
                return dict;
        }
        if (node is not YamlScalarNode scalar)
        {
            Error(node, path, $"expected a {spec.TypeName}, got a {(node is YamlMappingNode ? "mapping" : "list")}");
            return spec.Default;
        }
        var text = scalar.Value ?? "";
        switch (spec.Type)
        {
            case OptionType.String:
                return text;
            case OptionType.Path:
                // Relative to the rig file, once, here: every user of the option (run, rig check) sees the same file.
                return Path.IsPathRooted(text) ? text : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_file))!, text));
            case OptionType.Int when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i):
                return AtLeastMinimum(i);
            // Bus addresses are written in hex (0x20), as in datasheets and i2cdetect.
            case OptionType.Int when text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                                     && int.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var h):
                return AtLeastMinimum(h);
            case OptionType.Bool when text is "true" or "yes" or "on":
                return true;
            case OptionType.Bool when text is "false" or "no" or "off":
                return false;
            case OptionType.Duration when DurationParser.TryParse(text, out var d):
                return d;
            case OptionType.Size when SizeParser.TryParse(text, out var s):
                return s;
            case OptionType.Enum when spec.Values!.Contains(text):
                return text;
        }
        Error(node, path, $"expected a {spec.TypeName}, got '{text}'");
        return spec.Default;

        object? AtLeastMinimum(int value)
        {
            if (spec.Minimum is not { } minimum || value >= minimum) return value;
            Error(node, path, $"{value} is below the smallest value, {minimum}");
            return spec.Default;
        }
    }

    private IReadOnlyList<string> ReadStringList(YamlNode node, string path)
    {
        if (node is YamlSequenceNode seq)
        {
            var list = new List<string>();
            foreach (var item in seq.Children)
            {
                if (item is YamlScalarNode s) list.Add(s.Value ?? "");
                else Error(item, path, "expected a plain value in the list");
            }
            return list;
        }
        if (node is YamlScalarNode single && !IsNull(node)) return [single.Value ?? ""];
        Error(node, path, "expected a list of strings");
        return [];
    }

    private void CheckKeys(YamlMappingNode map, string path, IReadOnlyList<string> allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (!allowed.Contains(name))
                Error(key, path.Length == 0 ? name : $"{path}.{name}", $"unknown key{Suggest(name, allowed)}; keys here: {string.Join(", ", allowed)}");
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private string? ScalarOf(YamlMappingNode map, string key, string path)
    {
        var node = Child(map, key);
        if (node is null) return null;
        if (node is YamlScalarNode s) return s.Value;
        Error(node, path.Length == 0 ? key : $"{path}.{key}", "expected a plain value");
        return null;
    }

    private static bool IsNull(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null" };

    private static bool IsValidName(string name) => name.Length is > 0 and <= 32 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private YamlLocation Location(YamlNode node, string path) => new(_file, (int)node.Start.Line, (int)node.Start.Column, path);

    private void Error(YamlNode node, string path, string reason) => _errors.Add(Location(node, path).Error(reason));

    private static string Suggest(string wrong, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (c, d: Distance(wrong, c))).Where(x => x.d <= Math.Max(2, wrong.Length / 3)).OrderBy(x => x.d).FirstOrDefault();
        return best.c is null ? $" '{wrong}'" : $" '{wrong}' (did you mean '{best.c}'?)";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
