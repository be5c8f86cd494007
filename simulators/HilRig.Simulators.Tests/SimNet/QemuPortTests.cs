using System.Diagnostics;
using System.Net;
using HilRig.Capture.Decoding;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// A real QEMU guest NIC on SimNet: with no disk, SeaBIOS boots the e1000's iPXE ROM, which broadcasts DHCP
/// DISCOVERs through the netdev. Seeing them arrive at another port proves the dgram and stream framings.
/// </summary>
[Category("qemu")]
public class QemuPortTests
{
    private const string IpxeRom = "/usr/lib/ipxe/qemu/efi-e1000.rom";

    private static Process StartQemu(string netdev)
    {
        var qemu = RequiredTool.Require("qemu-system-x86_64", "QEMU boards reach SimNet through -netdev dgram/stream");
        RequiredTool.RequireFile(IpxeRom, "the e1000 iPXE ROM sends DHCP without a guest OS (package ipxe-qemu)");
        var psi = new ProcessStartInfo(qemu) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-nographic", "-nodefaults", "-machine", "accel=tcg", "-m", "64", "-serial", "none", "-monitor", "none",
                     "-netdev", netdev, "-device", $"e1000,netdev=n0,romfile={IpxeRom},mac=52:54:00:12:34:56", "-boot", "n" })
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static void AssertDhcpDiscoverArrives(SimNetSwitch sw, RecordingPort observer, Process qemu)
    {
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline && !qemu.HasExited)
            {
                foreach (var (_, frame) in observer.Sent)
                {
                    // Ethernet broadcast, IPv4, UDP 68 → 67: a DHCP DISCOVER from the guest's MAC.
                    if (MacAddress.Read(frame) == MacAddress.Broadcast && MacAddress.Read(frame.AsSpan(6)) == MacAddress.Parse("52:54:00:12:34:56")
                        && frame.Length > 42 && frame[23] == 17 && frame[36] == 0 && frame[37] == 67)
                        return;
                }
                Thread.Sleep(50);
            }
            Assert.Fail($"no DHCP DISCOVER from the QEMU guest within 60 s (exited: {qemu.HasExited}; {qemu.StandardError.ReadToEnd()})");
        }
        finally
        {
            if (!qemu.HasExited) qemu.Kill();
            qemu.WaitForExit();
            sw.Dispose();
        }
    }

    [Test]
    public void Dgram_QemuGuestBroadcast_ReachesOtherPort()
    {
        var sw = new SimNetSwitch();
        var observer = sw.AddPort(new RecordingPort("observer", TimeProvider.System));
        var port = sw.AddPort(new DgramPort("qemu1", new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, FreeUdpPort())));
        AssertDhcpDiscoverArrives(sw, observer, StartQemu(port.QemuNetdev("n0")));
        Assert.That(port.FramesReceived, Is.GreaterThan(0));
    }

    [Test]
    public void Stream_QemuGuestBroadcast_ReachesOtherPort()
    {
        var sw = new SimNetSwitch();
        var observer = sw.AddPort(new RecordingPort("observer", TimeProvider.System));
        var port = sw.AddPort(new StreamPort("qemu1", Path.Combine(RepoPaths.NewTempDirectory("qemu-stream"), "n0.sock")));
        AssertDhcpDiscoverArrives(sw, observer, StartQemu(port.QemuNetdev("n0")));
        Assert.That(port.FramesReceived, Is.GreaterThan(0));
    }

    private static int FreeUdpPort()
    {
        using var s = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.Client.LocalEndPoint!).Port;
    }
}
