using System.Text.Json;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary><c>hilrig pcap show</c>: whole lines only, bad captures located and exit 2, a closed pipe is not a crash.</summary>
public class PcapShowTests
{
    private static string Fixture(string name) => RepoPaths.Fixtures("captures", name);

    private static List<JsonElement> Lines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Test]
    public async Task Json_OneCompleteObjectPerLine_EveryFrameInOrder()
    {
        var r = await Hilrig.RunAsync("pcap", "show", Fixture("tcp-transfers.pcap"), "--json");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var frames = Lines(r.Stdout).Select(e => e.GetProperty("frame").GetInt64()).ToList();
        Assert.That(frames.Distinct().Count(), Is.EqualTo(166), "every frame of the capture has at least one event");
        Assert.That(frames, Is.Ordered);
        Assert.That(r.Stdout, Does.EndWith("\n"));
    }

    [Test]
    public async Task VerifyChecksums_ADamagedSegmentIsReportedAndDropped()
    {
        // A SimNet capture (checksums finished) with one bit flipped in the last byte of the first large frame.
        var frames = HilRig.Capture.Files.CaptureFile.ReadAll(Fixture("http1-cloud.pcapng"));
        var damaged = frames.FindIndex(f => f.Data.Length > 200) + 1;
        var path = Path.Combine(RepoPaths.NewTempDirectory("pcap-checksum"), "damaged.pcap");
        using (var writer = HilRig.Capture.Files.PcapWriter.Create(path))
            foreach (var (frame, number) in frames.Select((f, i) => (f.Data.ToArray(), i + 1)))
            {
                if (number == damaged) frame[^1] ^= 0x01;
                writer.Write(0, frame);
            }

        var verified = await Hilrig.RunAsync("pcap", "show", path, "--json", "--verify-checksums");
        Assert.That(verified.ExitCode, Is.Zero, verified.ToString());
        var events = Lines(verified.Stdout).Where(e => e.GetProperty("frame").GetInt64() == damaged).ToList();
        Assert.That(events, Has.Count.EqualTo(1), verified.Stdout);
        Assert.That(events[0].GetProperty("protocol").GetString(), Is.EqualTo("tcp"));
        Assert.That(events[0].GetProperty("tcp").GetProperty("checksum_status").GetString(), Is.EqualTo("bad"));

        var plain = await Hilrig.RunAsync("pcap", "show", path, "--json");
        Assert.That(plain.Stdout, Does.Not.Contain("checksum_status"), "off unless asked for, as in tshark");
    }

    [Test]
    public async Task TruncatedCapture_CompleteFramesPrinted_ThenOffsetError_Exit2()
    {
        var whole = await File.ReadAllBytesAsync(Fixture("grpc-demo.pcap"));
        var path = Path.Combine(RepoPaths.NewTempDirectory("pcap-cut"), "cut.pcap");
        await File.WriteAllBytesAsync(path, whole[..(whole.Length - 10)]);
        var r = await Hilrig.RunAsync("pcap", "show", path, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain(path).And.Contain("file ends inside a record").And.Match(@"at byte offset \d+"));
        var lines = Lines(r.Stdout); // throws if any line is cut
        Assert.That(lines.Max(e => e.GetProperty("frame").GetInt64()), Is.EqualTo(21), "all 21 complete frames of 22");
        Assert.That(r.Stdout, Does.Not.Contain("hilrig:"), "the error goes to stderr only");
    }

    [Test]
    public async Task UnknownLinkType_LocatedError_Exit2_NothingPrinted()
    {
        var bytes = await File.ReadAllBytesAsync(Fixture("coap-libcoap.pcap"));
        bytes[20] = 147; // LINKTYPE_USER0 in the (little-endian) file header
        bytes[21] = 0;
        var path = Path.Combine(RepoPaths.NewTempDirectory("pcap-link"), "user0.pcap");
        await File.WriteAllBytesAsync(path, bytes);
        var r = await Hilrig.RunAsync("pcap", "show", path);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain($"{path}: frame 1 (byte offset 24) has link type 147"));
        Assert.That(r.Stdout, Is.Empty);
    }

    [Test]
    public async Task NotACapture_Exit2WithMagic()
    {
        var r = await Hilrig.RunAsync("pcap", "show", "fixtures/captures/demo.proto", "--json");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("neither pcap nor pcapng").And.Contain("byte offset 0"));
        Assert.That(r.Stdout, Is.Empty);
    }

    [Test, Description("guard: buffered output must keep the console's quiet handling of a closed pipe")]
    public async Task ReaderClosesThePipeEarly_ExitsQuietly()
    {
        // Far more output than a pipe buffers: the CoAP capture's records repeated 200 times.
        var capture = await File.ReadAllBytesAsync(Fixture("coap-libcoap.pcap"));
        var path = Path.Combine(RepoPaths.NewTempDirectory("pcap-pipe"), "long.pcap");
        await using (var file = File.Create(path))
        {
            file.Write(capture.AsSpan(0, 24));
            for (var i = 0; i < 200; i++) file.Write(capture.AsSpan(24));
        }
        using var process = Hilrig.Start("pcap", "show", path);
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.That(await process.StandardOutput.ReadLineAsync(), Does.StartWith("#1 "));
        process.StandardOutput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        Assert.That(await stderr, Does.Not.Contain("Unhandled exception").And.Not.Contain("   at "));
        Assert.That(process.ExitCode, Is.Zero);
    }
}
