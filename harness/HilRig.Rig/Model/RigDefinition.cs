namespace HilRig.Rig.Model;

/// <summary>A validated rig file: the boards, the network they share and the cloud.</summary>
[Engine.Bindings.ProvidedByHost("no rig file is loaded; `hilrig run` loads rig.yaml or --rig FILE, the NUnit bridge rig.yaml or $HILRIG_RIG")]
public sealed record RigDefinition(
    string Name,
    string SourcePath,
    string? Description,
    IReadOnlyList<BoardDefinition> Boards,
    NetworkDefinition Network,
    CloudDefinition? Cloud)
{
    public BoardDefinition? FindBoard(string name) => Boards.FirstOrDefault(b => b.Name == name);

    /// <summary>The directory relative paths in the rig file are resolved against (path options arrive resolved).</summary>
    public string BaseDirectory => Path.GetDirectoryName(Path.GetFullPath(SourcePath))!;
}

/// <summary>One board: its kind, the roles scenarios address it by, and its drivers with their options.</summary>
public sealed record BoardDefinition(
    string Name,
    BoardKind Kind,
    IReadOnlyList<string> Roles,
    IReadOnlyDictionary<string, OptionValues> Drivers,
    OptionValues Network,
    YamlLocation Location)
{
    public OptionValues? Driver(string name) => Drivers.GetValueOrDefault(name);
}

/// <summary>The rig network: <c>none</c> (host loopback) or <c>simnet</c> (the userspace switch with impairments).</summary>
public sealed record NetworkDefinition(string Type, OptionValues Options);

/// <summary>The cloud the boards talk to.</summary>
public sealed record CloudDefinition(OptionValues Options);
