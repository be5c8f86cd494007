using HilRig.AbUpdate;
using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Steps.Ab;
using HilRig.Storage;
using Reqnroll;

namespace HilRig.Steps.Security;

/// <summary>
/// Issue 13's attack on the A/B disk: someone with the board's disk (a stolen board, a rogue maintenance tool) rewrites a
/// slot with an image of their own and recomputes everything a CRC-only boot would check — the Merkle tree, the root in
/// boot control, the record's CRC — and makes the slot good and primary. What they cannot make is the root's signature:
/// the slot keeps the signature of the release it held, over another root.
/// </summary>
[Binding]
public sealed class SlotAttackSteps(AbReleases releases, ScenarioOutput output)
{
    [When("an attacker rewrites slot {word} of board {board} with release {string}, its Merkle tree, root and boot-control CRC")]
    [StepSummary("writes a release the scenario never signed into the slot's image area and hash area, records its hash, size, version and root in boot control (good, primary) with a valid CRC")]
    public void RewriteSlot(string slotName, Board board, string version)
    {
        if (board.Power.State == PowerState.On)
            throw new RigFaultException($"board {board.Name} is running; the attacker rewrites its disk while it is off");
        var path = board.Get<IStorageProtocol>().DiskImage ?? throw new RigFaultException($"board {board.Name} ({board.Kind}) has no disk image the harness can reach");
        var image = releases.Unsigned(version, board);
        var sha = Digest.Sha256(image);
        var (tree, root) = MerkleTree.BuildFromImage(image);

        using var device = FileBlockDevice.Open(path);
        var disk = AbDisk.Open(device);
        var slot = SlotNames.Parse(slotName);
        if (image.Length > disk[slot].Capacity) throw new RigFaultException($"release {version} ({image.Length} bytes) does not fit slot {slot} ({disk[slot].Capacity} bytes)");
        var padded = new byte[MerkleTree.LeafCount(image.Length) * MerkleTree.BlockSize];   // whole blocks, as an install writes them
        image.CopyTo(padded, 0);
        disk[slot].Image.Write(0, padded);
        disk[slot].HashArea.Write(0, tree);
        var state = disk.BootControl.Load();
        var info = state.Record[slot] with
        {
            State = SlotState.Good, TriesLeft = 0, Reason = BadReason.None, TamperedBlock = -1,
            ImageSize = image.Length, Sha256 = sha, MerkleRoot = root, Version = version,
        };
        disk.BootControl.Commit(state, state.Record.With(slot, info) with { Primary = slot });
        device.Flush();
        output.WriteLine($"{board.Name}: slot {slot} rewritten with {version} (sha256 {sha.Short}, Merkle root {root.Short}), tree and boot control (good, primary) recomputed; " +
                         $"its signature is still the old release's (key {info.Signature.KeyId.Short})");
    }
}
