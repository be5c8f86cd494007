namespace HilRig.Rig.Model;

/// <summary>Where something was written in a rig file.</summary>
public readonly record struct YamlLocation(string File, int Line, int Column, string KeyPath)
{
    public RigFileError Error(string reason) => new(File, Line, Column, KeyPath, reason);

    public override string ToString() => $"{File}:{Line}:{Column}";
}
