namespace HilRig.Rig.Model.Schema;

/// <summary>A driver a board may name in its <c>drivers:</c> section, the board kinds that may use it and its options.</summary>
public sealed record DriverSpec(string Name, string Description, IReadOnlyList<BoardKind> Kinds, IReadOnlyList<OptionSpec> Options)
{
    public OptionSpec? Find(string option) => Options.FirstOrDefault(o => o.Name == option);
}
