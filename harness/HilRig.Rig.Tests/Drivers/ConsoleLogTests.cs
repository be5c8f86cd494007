using System.Text;
using System.Text.RegularExpressions;
using HilRig.Rig.Drivers.Console;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers;

public class ConsoleLogTests
{
    [Test]
    public async Task ReadLines_StreamsCompleteLinesAsTheyArrive_SplitUtf8AndCrLfIncluded()
    {
        using var log = new ConsoleLog(null);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var lines = new List<string>();
        var reader = Task.Run(async () =>
        {
            await foreach (var line in log.ReadLinesAsync(0, stop.Token))
            {
                lines.Add(line);
                if (lines.Count == 3) break;
            }
        });
        var bytes = Encoding.UTF8.GetBytes("boot ok\r\n电源 on\r\nhalf");
        log.Append(bytes.AsSpan(0, 11));
        log.Append(bytes.AsSpan(11, 3));          // splits the first Chinese character across two reads
        log.Append(bytes.AsSpan(14));
        log.Append(" line\n"u8);
        await reader.WaitAsync(stop.Token);
        Assert.That(lines, Is.EqualTo(new[] { "boot ok", "电源 on", "half line" }));
    }

    [Test]
    public async Task Expect_ReadsForward_NeverMatchesTheSameTextTwice_TimesOutWithTail()
    {
        using var log = new ConsoleLog(Path.Combine(RepoPaths.NewTempDirectory("log"), "console.log"));
        long position = 0;
        log.Append("prompt# one\nprompt# two\n"u8);
        var first = await ConsoleExpectation.ExpectAsync(log, () => position, p => position = p, new Regex("prompt# (\\w+)"), TimeSpan.FromSeconds(1), "b", TimeProvider.System, default);
        var second = await ConsoleExpectation.ExpectAsync(log, () => position, p => position = p, new Regex("prompt# (\\w+)"), TimeSpan.FromSeconds(1), "b", TimeProvider.System, default);
        Assert.That((first.Match.Groups[1].Value, second.Match.Groups[1].Value), Is.EqualTo(("one", "two")));
        var e = Assert.ThrowsAsync<ConsoleTimeoutException>(() =>
            ConsoleExpectation.ExpectAsync(log, () => position, p => position = p, new Regex("prompt#"), TimeSpan.FromMilliseconds(100), "b", TimeProvider.System, default))!;
        Assert.That(e.Message, Does.Contain("did not show /prompt#/ within 0.1 s"));
        log.Annotate("power cut");
        Assert.That(log.Text, Does.Not.Contain("power cut"), "annotations never reach the matchable text");
        Assert.That(File.ReadAllText(log.FilePath!), Does.Contain("### hilrig: power cut"));
    }
}
