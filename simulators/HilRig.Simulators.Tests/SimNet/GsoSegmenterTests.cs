using System.Buffers.Binary;
using System.Diagnostics;
using HilRig.Capture.Decoding;
using HilRig.Capture.Files;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// Software segmentation of TSO super-frames as a NIC would do it, checked field by field and by tshark's own checksum
/// validation, so frames SimNet cuts (impaired links, captures, QEMU ports) are what a wire would carry.
/// </summary>
public class GsoSegmenterTests
{
    private const ushort Mss = 1448;

    /// <summary>An Ethernet/IPv4|IPv6/TCP super-frame as a TSO stack hands it over: total length for the whole, checksum field holding the pseudo-header sum.</summary>
    internal static (byte[] Frame, VirtioNetHeader Header) SuperFrame(bool ipv6, int payload, byte flags = 0x18 /* PSH|ACK */, bool ecn = false)
    {
        var ipHeader = ipv6 ? 40 : 20;
        var frame = new byte[14 + ipHeader + 32 + payload];
        TestFrames.B.Write(frame);
        TestFrames.A.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), ipv6 ? (ushort)0x86dd : (ushort)0x0800);
        var ip = frame.AsSpan(14);
        if (ipv6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(32 + payload));
            ip[6] = 6;
            ip[7] = 64;
            ip[8] = 0xfd; ip[23] = 1;
            ip[24] = 0xfd; ip[39] = 2;
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 32 + payload));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);
            ip[6] = 0x40; // DF
            ip[8] = 64;
            ip[9] = 6;
            ip[12] = 10; ip[13] = 77; ip[15] = 3;
            ip[16] = 10; ip[17] = 77; ip[19] = 1;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..20]));
        }
        var tcp = ip[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 8080);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 0xfffff000); // wraps during the segments
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 77);
        tcp[12] = 8 << 4; // 32-byte header (timestamps)
        tcp[13] = (byte)(flags | (ecn ? 0x80 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 501);
        tcp[20] = 1; tcp[21] = 1; tcp[22] = 8; tcp[23] = 10; // NOP NOP TS
        for (var i = 0; i < payload; i++) tcp[32 + i] = (byte)(i * 7 + 3);
        var header = new VirtioNetHeader(VirtioNetHeader.NeedsChecksumFlag,
            (byte)((ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4) | (ecn ? VirtioNetHeader.GsoEcn : 0)),
            (ushort)(14 + ipHeader + 32), Mss, (ushort)(14 + ipHeader), 16);
        return (frame, header);
    }

    /// <summary>RFC 1071 the slow, obvious way: an independent check of the fast one.</summary>
    private static ushort Checksum(ReadOnlySpan<byte> data, uint seed = 0)
    {
        var sum = seed;
        for (var i = 0; i < data.Length; i += 2) sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    internal static List<byte[]> Segment(byte[] frame, VirtioNetHeader header)
    {
        var scratch = new byte[70_000];
        var segments = new GsoSegmenter(frame, header);
        var count = segments.Count;
        var result = new List<byte[]>();
        while (segments.TryNext(scratch, out var n)) result.Add(scratch[..n]);
        Assert.That(result, Has.Count.EqualTo(count), "Count announces what TryNext yields");
        return result;
    }

    [Test]
    public void TcpV4_SuperFrame_CutAtMss_FieldsAndChecksumsAsOnTheWire()
    {
        var (frame, header) = SuperFrame(ipv6: false, payload: 3 * Mss + 100, flags: 0x19 /* FIN|PSH|ACK */, ecn: true);
        var segments = Segment(frame, header);
        Assert.That(segments.Select(s => s.Length), Is.EqualTo(new[] { 66 + Mss, 66 + Mss, 66 + Mss, 66 + 100 }));
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            var ip = s.AsSpan(14, 20);
            var tcp = s.AsSpan(34);
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), Is.EqualTo(s.Length - 14), "IPv4 total length");
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(ip[4..]), Is.EqualTo(0x1234 + i), "IP id advances");
            Assert.That(Checksum(ip), Is.Zero, "IPv4 header checksum verifies");
            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), Is.EqualTo(unchecked(0xfffff000u + (uint)(i * Mss))), "sequence advances (and wraps)");
            var last = i == segments.Count - 1;
            Assert.That(tcp[13] & 0x09, Is.EqualTo(last ? 0x09 : 0), "FIN and PSH on the last segment only");
            Assert.That(tcp[13] & 0x80, Is.EqualTo(i == 0 ? 0x80 : 0), "CWR on the first only");
            var pseudo = new byte[12];
            ip.Slice(12, 8).CopyTo(pseudo);
            pseudo[9] = 6;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)tcp.Length);
            Assert.That(Checksum([.. pseudo, .. tcp.ToArray()]), Is.Zero, "TCP checksum verifies");
        }
        var payload = segments.SelectMany(s => s[66..]).ToArray();
        Assert.That(payload, Is.EqualTo(frame[66..]), "the payload, in order, once");
    }

    [Test]
    public void TcpV6_SuperFrame_PayloadLengthAndChecksum()
    {
        var (frame, header) = SuperFrame(ipv6: true, payload: 2 * Mss + 1);
        var segments = Segment(frame, header);
        Assert.That(segments, Has.Count.EqualTo(3));
        foreach (var s in segments)
        {
            var ip = s.AsSpan(14, 40);
            var tcp = s.AsSpan(54);
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(ip[4..]), Is.EqualTo(tcp.Length));
            var pseudo = new byte[40];
            ip.Slice(8, 32).CopyTo(pseudo);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)tcp.Length);
            pseudo[39] = 6;
            Assert.That(Checksum([.. pseudo, .. tcp.ToArray()]), Is.Zero);
        }
    }

    [Test]
    public void PartialChecksum_SingleFrame_Completed_UdpZeroSentAsFfff()
    {
        // A UDP datagram whose checksum field holds the pseudo-header sum, as a stack with checksum offload leaves it.
        var frame = TestFrames.Udp(TestFrames.B, TestFrames.A, 5, 33);
        var udp = frame.AsSpan(34);
        var pseudo = new byte[12];
        frame.AsSpan(26, 8).CopyTo(pseudo);
        pseudo[9] = 17;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)udp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], (ushort)~Checksum(pseudo));
        var header = new VirtioNetHeader(VirtioNetHeader.NeedsChecksumFlag, VirtioNetHeader.GsoNone, 0, 0, 34, 6);
        var segment = Segment(frame, header).Single();
        Assert.That(Checksum([.. pseudo, .. segment.AsSpan(34).ToArray()]), Is.Zero, "the completed checksum verifies");
        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(40)), Is.Not.Zero, "UDP sends a computed 0 as FFFF");
    }

    [Test]
    public void NotTcp_GsoHeader_PassesAsOneFrame()
    {
        var frame = TestFrames.Udp(TestFrames.B, TestFrames.A, 1, 4000);
        var header = new VirtioNetHeader(0, VirtioNetHeader.GsoTcpV4, 42, Mss, 0, 0);
        Assert.That(Segment(frame, header).Single(), Is.EqualTo(frame));
    }

    [Test]
    public void Segments_ChecksumsValidatedByTshark()
    {
        var tshark = RequiredTool.Require("tshark", "tshark validates the IP and TCP checksums of the segments independently");
        var path = Path.Combine(RepoPaths.NewTempDirectory("gso"), "segments.pcap");
        using (var writer = PcapWriter.Create(path))
        {
            var t = 1_700_000_000_000_000_000L;
            foreach (var ipv6 in new[] { false, true })
            {
                var (frame, header) = SuperFrame(ipv6, 5 * Mss + 17);
                foreach (var s in Segment(frame, header)) writer.Write(t += 1000, s);
            }
        }
        var psi = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-n", "-r", path, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-T", "fields",
                     "-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "tcp.len" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        // Status 1 is "Good" (0 bad, 2 unverified); IPv6 has no header checksum (empty).
        Assert.That(lines, Is.EqualTo(Enumerable.Repeat($"1\t1\t{Mss}", 5).Append("1\t1\t17").Concat(Enumerable.Repeat($"\t1\t{Mss}", 5)).Append("\t1\t17").ToArray()));
    }
}
