namespace HilRig.Rig.Model;

/// <summary>What a board is: a simulated device process, a QEMU machine, a container, or real hardware on a rig.</summary>
public enum BoardKind
{
    Process,
    Qemu,
    Physical,
    Container,
}
