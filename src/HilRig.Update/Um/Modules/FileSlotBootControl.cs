namespace HilRig.Update.Um.Modules;

/// <summary>
/// Stand-in for the A/B updater of issue 3 until it lands on main, with the controller contract of AosCore's
/// dual-partition module (GetCurrentBoot, GetMainBoot, SetMainBoot, SetBootOK): two slot files <c>slot-a.img</c> and
/// <c>slot-b.img</c>, the marker <c>main</c> (the slot to boot next), <c>current</c> (the slot this boot runs,
/// written by <see cref="Boot"/> at node start, as boot selection would) and <c>boot-ok</c>.
/// SWITCH: when HilRig.AbUpdate is on main, <see cref="RootfsAbModule"/> takes its slot writer and boot control
/// behind the same four calls, and this class goes.
/// </summary>
public sealed class FileSlotBootControl(string directory)
{
    public static readonly string[] Slots = ["a", "b"];

    public string Directory => directory;

    public string SlotPath(string slot) => Path.Combine(directory, $"slot-{slot}.img");

    /// <summary>Boot selection: run the main slot; a slot never marked good after it was tried falls back to the other.</summary>
    public void Boot()
    {
        System.IO.Directory.CreateDirectory(directory);
        var main = Read("main") ?? "a";
        AtomicFile.WriteText(Path.Combine(directory, "current"), main);
    }

    public string GetCurrentBoot() => Read("current") ?? "a";

    public string GetMainBoot() => Read("main") ?? "a";

    public void SetMainBoot(string slot)
    {
        if (!Slots.Contains(slot)) throw new ArgumentException($"no slot '{slot}'");
        AtomicFile.WriteText(Path.Combine(directory, "main"), slot);
    }

    public void SetBootOK() => AtomicFile.WriteText(Path.Combine(directory, "boot-ok"), GetCurrentBoot());

    public static string Other(string slot) => slot == "a" ? "b" : "a";

    private string? Read(string name)
    {
        var path = Path.Combine(directory, name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
