using System.Text.RegularExpressions;
using HilRig.AbUpdate;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Drivers.Qemu;
using HilRig.Rig.Images;
using HilRig.Rig.Model;
using HilRig.Rig.Protocols;
using HilRig.Storage;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers;

/// <summary>
/// Real QEMU machines booting the real board image (built by <c>./hilrig image build</c>, which ./hilrig test runs first):
/// the kernel, the initramfs's boot selection, the ext4 slot with the NativeAOT agent on ttyS0.
/// </summary>
[NonParallelizable]
public class QemuBoardTests
{
    /// <summary>A TCG boot takes ~3 s on an idle machine; two cores shared by a whole test suite need far more.</summary>
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);

    private static string ImageDirectory()
    {
        RequiredTool.Require("qemu-system-x86_64", "QEMU boards run it");
        var image = BoardImage.DefaultDirectory();
        RequiredTool.RequireFile(Path.Combine(image, BoardImage.ManifestFile), "the board image; `./hilrig image build` makes it (./hilrig test does)");
        return image;
    }

    private static Board NewBoard(string options = "")
    {
        var rig = RigLoader.Parse($"boards:\n  dut:\n    kind: qemu\n    roles: [main]\n    drivers:\n      qemu: {{firmware: 2.3.4{options}}}\n", "test-rig.yaml");
        return BoardFactory.Create(rig.Boards[0], RepoPaths.NewTempDirectory("qemu-board"), c => new Random(c.Length), 1);
    }

    private static async Task BootedAsync(Board board)
    {
        await board.Console.ExpectAsync(new Regex("boot complete"), Boot);
        await board.Shell.WaitReadyAsync(Boot);
    }

    [Test]
    public async Task PowerOn_InitramfsSelectsSlotA_AgentAnswersOnTtyS0_CutKillsQemu()
    {
        ImageDirectory();
        await using var board = NewBoard();
        var driver = board.Drivers.OfType<QemuBoardDriver>().Single();
        await board.Power.OnAsync();
        // The initramfs runs the agent as bootloader: the same boot line a process board prints, for the image's release.
        await board.Console.ExpectAsync(new Regex(@"ab: boot: slot A version 1\.0\.0 sha256 [0-9a-f]{64}"), Boot);
        await board.Console.ExpectAsync(new Regex(@"HilRig Device firmware 2\.3\.4 \(board dut\)"), Boot);
        await board.Console.ExpectAsync(new Regex(@"boot #1, reason: power-on"), Boot);
        await BootedAsync(board);
        var status = await board.Shell.RunAsync("ab status --json", TimeSpan.FromSeconds(60));
        Assert.That(status.ExitCode, Is.EqualTo(0), status.Output);
        Assert.That(status.Output, Does.Contain("\"booted\": \"A\""));
        var pid = driver.ProcessId!.Value;
        await board.Power.CutAsync();
        Assert.That(board.Power.State, Is.EqualTo(PowerState.Off));
        Assert.That(ProcessAlive(pid), Is.False, "QEMU is gone after a cut");
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex(@"boot #2, reason: power-loss"), Boot);
        await BootedAsync(board);
    }

    /// <summary>
    /// Issue 10's boot budget (≤ 3 s power-on → prompt under TCG): the kernel must not spend ~1.5 s gunzipping the
    /// initramfs, so the image carries it as a plain newc cpio, which the kernel reads in place.
    /// </summary>
    [Test]
    public void Image_InitramfsIsAnUncompressedNewcCpio()
    {
        var image = new BoardImage(ImageDirectory());
        var magic = new byte[6];
        using (var file = File.OpenRead(image.PathOf(BoardImage.Initramfs))) file.ReadExactly(magic);
        Assert.That(System.Text.Encoding.ASCII.GetString(magic), Is.EqualTo("070701"), $"{BoardImage.Initramfs} starts with the newc magic");
    }

    /// <summary>The boot-budget levers that live on QEMU's command line: qboot instead of SeaBIOS, and the kernel options.</summary>
    [Test]
    public async Task PowerOn_UsesQbootAndTheFastKernelCommandLine_ByDefault()
    {
        ImageDirectory();
        await using var board = NewBoard();
        await board.Power.OnAsync();
        await BootedAsync(board);
        var driver = board.Drivers.OfType<QemuBoardDriver>().Single();
        var launch = File.ReadAllText(driver.Log.FilePath!);
        Assert.That(launch, Does.Contain("-bios qboot.rom"));
        Assert.That(launch, Does.Contain("console=ttyS0 quiet tsc=reliable no_timer_check cryptomgr.notests rcupdate.rcu_expedited=1"));
    }

    /// <summary>
    /// Issue 13: the initramfs's boot selection (the NativeAOT agent, before any slot is mounted) verifies the slot's root
    /// signature against the board's keyring (<c>/data/release-keys.pem</c>) as a process board does: a root signed by a
    /// key the keyring lacks is refused with the reason and nothing boots; with the signing key in the keyring it boots.
    /// </summary>
    [Test]
    public async Task Initramfs_VerifiesTheSlotRootSignature_AgainstTheBoardsKeyring()
    {
        ImageDirectory();
        await using var board = NewBoard();
        var storage = board.Get<IStorageProtocol>();
        using var signer = ReleaseSigner.Generate();
        using var stranger = ReleaseSigner.Generate();
        var release = new ReleaseManifest("1.1").BuildOn(File.ReadAllBytes(storage.ReleaseRoot!));
        void SignedDisk()
        {
            File.Delete(storage.DiskImage!);
            RunningDisk.Create(storage.DiskImage!, AbLayout.ForSlot(BlockDevice.AlignUp(release.Length, AbLayout.MiB), ImageBuilder.DataBytes),
                new MemoryStream(release), "1.1", null, signer.SignImage(release, "1.1"));
        }
        var keyring = Path.Combine(storage.DataDirectory, "release-keys.pem");

        SignedDisk();
        File.WriteAllText(keyring, stranger.PublicPem + "\n");
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex($@"ab: root signature check: slot A's root is signed by key {signer.KeyId.Short}, which is not in \S*release-keys\.pem: marking slot A bad"), Boot);
        await board.Console.ExpectAsync(new Regex("no bootable A/B slot"), Boot);
        var health = board.Get<IBoardHealth>();
        Assert.That(await Poll.UntilAsync(_ => Task.FromResult(health.StopReason is not null || board.Power.State == PowerState.Off), Boot, TimeSpan.FromMilliseconds(200), CancellationToken.None),
            Is.True, "the board stops: nothing is booted unchecked");
        if (board.Power.State == PowerState.On) await board.Power.CutAsync();

        SignedDisk();
        File.WriteAllText(keyring, signer.PublicPem + "\n");
        await board.Power.OnAsync();
        await board.Console.ExpectAsync(new Regex($@"ab: root signature check: slot A: Merkle root [0-9a-f]{{8}} signed by key {signer.KeyId.Short}"), Boot);
        await board.Console.ExpectAsync(new Regex(@"ab: boot: slot A version 1\.1 "), Boot);
        await BootedAsync(board);
    }

    [Test]
    public async Task Reboot_GuestResetsInsideTheSameQemu_AndKnowsItRebooted()
    {
        ImageDirectory();
        await using var board = NewBoard();
        await board.Power.OnAsync();
        await BootedAsync(board);
        await board.Console.SendAsync("reboot\n");
        await board.Console.ExpectAsync(new Regex("reboot: Restarting system"), Boot);
        await board.Console.ExpectAsync(new Regex(@"boot #2, reason: reboot"), Boot);
        await BootedAsync(board);
        Assert.That(string.Join(", ", board.Power.History.Select(h => $"{h.Kind} {h.Detail}".Trim())), Is.EqualTo("On, Reboot"));
        Assert.That(board.Get<IBoardHealth>().StopReason, Is.Null);
    }

    /// <summary>
    /// As for every board HilRig starts: a step that outlived its scenario must not start a QEMU its scenario already
    /// released, which nobody would stop (found by reading; this failed before: the QEMU driver had no such check and
    /// went on to start the machine).
    /// </summary>
    [Test]
    public async Task PowerOn_AfterTheBoardWasReleased_IsRefused_NoQemuStarts()
    {
        var missing = Path.Combine(RepoPaths.NewTempDirectory("qemu-released"), "vmlinux");
        var board = NewBoard($", kernel: {missing}");
        var driver = board.Drivers.OfType<QemuBoardDriver>().Single();
        await board.DisposeAsync();
        var e = Assert.ThrowsAsync<TestDefectException>(() => driver.OnAsync())!;
        Assert.That(e.Message, Does.Contain("board dut was released at the end of its scenario"));
        Assert.That(driver.ProcessId, Is.Null);
    }

    [Test]
    public async Task MissingKernel_IsARigFaultNamingTheFile()
    {
        ImageDirectory();
        var missing = Path.Combine(RepoPaths.NewTempDirectory("qemu-missing"), "vmlinux");
        await using var board = NewBoard($", kernel: {missing}");
        var e = Assert.ThrowsAsync<RigFaultException>(() => board.Power.OnAsync());
        Assert.That(e!.Message, Does.Contain(missing).And.Contain("missing"));
    }

    [Test]
    public async Task CorruptKernel_QemuRefusesIt_RigFaultCarriesItsStderr()
    {
        ImageDirectory();
        var corrupt = Path.Combine(RepoPaths.NewTempDirectory("qemu-corrupt"), "vmlinux");
        File.WriteAllBytes(corrupt, new byte[4096]);
        await using var board = NewBoard($", kernel: {corrupt}");
        var e = Assert.ThrowsAsync<RigFaultException>(() => board.Power.OnAsync());
        Assert.That(e!.Message, Does.Contain("QEMU said").And.Contain(corrupt));
    }

    [Test]
    public async Task KernelThatCannotMountItsInitramfs_IsReportedAsAPanic_NotATimeout()
    {
        ImageDirectory();
        var junk = Path.Combine(RepoPaths.NewTempDirectory("qemu-initrd"), "initrd");
        File.WriteAllBytes(junk, "not a cpio archive, not compressed either"u8.ToArray());
        await using var board = NewBoard($", initrd: {junk}");
        await board.Power.OnAsync();
        var health = board.Get<IBoardHealth>();
        Assert.That(await Poll.UntilAsync(_ => Task.FromResult(health.StopReason is not null), Boot, TimeSpan.FromMilliseconds(200), CancellationToken.None),
            Is.True, "the panic is read from the console");
        Assert.That(health.StopReason, Does.Contain("Kernel panic - not syncing"));
        Assert.That(health.StopWasRigFault, Is.False);
    }

    [Test]
    public void HarnessKilled_QemuDoesNotOutliveIt()
    {
        // The lifeline wrapper QEMU runs under, with a stand-in for QEMU (a long sleep under a marked name).
        var marker = $"300.{Random.Shared.Next(100_000, 999_999)}";
        using var qemu = QemuLaunch.Start(["sleep", marker], Path.GetTempPath());
        var child = FindByCommandLine(marker);
        Assert.That(child, Is.Not.Null, "the stand-in runs");
        Thread.Sleep(1000);
        Assert.That(ProcessAlive(child!.Value), Is.True, "it keeps running while the lifeline is open");
        // The harness's end of the lifeline closes, as the kernel closes it when the harness dies.
        qemu.StandardInput.Close();
        Assert.That(Poll.UntilAsync(_ => Task.FromResult(!ProcessAlive(child!.Value)), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100), CancellationToken.None).Result,
            Is.True, "the wrapper kills QEMU when the lifeline closes");
        qemu.WaitForExit();
    }

    private static int? FindByCommandLine(string marker)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(dir, "cmdline")) == $"sleep\0{marker}\0") return int.Parse(Path.GetFileName(dir));
                }
                catch (IOException)
                {
                }
            }
            Thread.Sleep(100);
        }
        return null;
    }

    /// <summary>A process that ends between the two reads is gone, not an error (the test failed once on exactly that race).</summary>
    private static bool ProcessAlive(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z");
        }
        catch (IOException)
        {
            return false;
        }
    }
}
