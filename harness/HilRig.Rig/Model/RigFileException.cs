namespace HilRig.Rig.Model;

/// <summary>One problem in a rig file, at a line and column, naming the key path (e.g. <c>boards.dut.drivers.serial.port</c>).</summary>
public sealed record RigFileError(string File, int Line, int Column, string KeyPath, string Reason)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {(KeyPath.Length > 0 ? KeyPath + ": " : "")}{Reason}";
}

/// <summary>A rig file that is not valid; every problem found is listed.</summary>
public sealed class RigFileException(IReadOnlyList<RigFileError> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<RigFileError> Errors { get; } = errors;
}
