using HilRig.Rig.Protocols;

namespace HilRig.Steps.Boards;

/// <summary>The shell command a scenario ran last, for the steps that check its result.</summary>
public sealed class LastCommand
{
    private ShellResult? _result;

    public ShellResult Result
    {
        get => _result ?? throw new InvalidOperationException("no command has been run in this scenario yet; use \"When I run \\\"…\\\" on board \\\"…\\\"\" first");
        set => _result = value;
    }

    public string Board { get; set; } = "";
}
