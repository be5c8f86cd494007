using HilRig.Device.Shell;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Device;

public class CommandLineTests
{
    [Test]
    public void Split_KeepsSemicolonsInsideQuotes_DropsComments()
    {
        Assert.That(CommandLine.SplitCommands("echo 'a;b'; status ;false # no; more"), Is.EqualTo(new[] { "echo 'a;b'", " status ", "false " }));
    }

    [Test]
    public void Parse_QuotesJoinIntoOneWord_AsInSh()
    {
        Assert.That(CommandLine.Parse("echo 'ab''cd' x\\ y \"q\\\"t\"", 0)[0], Is.EqualTo(new[] { "echo", "abcd", "x y", "q\"t" }));
    }

    [Test]
    public void Parse_ExpandsLastExitCode()
    {
        Assert.That(CommandLine.Parse("echo m $? \"$?\" '$?'", 127)[0], Is.EqualTo(new[] { "echo", "m", "127", "127", "$?" }));
    }

    [Test]
    public void Split_UnterminatedQuote_IsAnError()
    {
        Assert.Throws<FormatException>(() => CommandLine.SplitCommands("echo 'oops"));
    }
}
