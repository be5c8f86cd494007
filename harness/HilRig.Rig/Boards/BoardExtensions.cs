namespace HilRig.Rig.Boards;

/// <summary>
/// Drivers that live outside this project (they need the capture library, say) add themselves to boards here: each
/// registered action sees every board a scenario builds, with the board's artifact directory.
/// </summary>
public static class BoardExtensions
{
    private static readonly List<Action<Board, string>> Actions = new();

    public static void Register(Action<Board, string> attach)
    {
        lock (Actions) Actions.Add(attach);
    }

    public static void Attach(Board board, string artifactDirectory)
    {
        List<Action<Board, string>> actions;
        lock (Actions) actions = Actions.ToList();
        foreach (var attach in actions) attach(board, artifactDirectory);
    }
}
