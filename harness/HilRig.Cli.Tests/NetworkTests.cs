using System.Diagnostics;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>SimNet from the command line: impairment profiles in rig files, --plan, replay of a plan, and runs without root.</summary>
[NonParallelizable]
public class NetworkTests
{
    [TestCase("bad-profile.yaml", "fixtures/rigs/bad-profile.yaml:9:19: network.profiles.lossy.loss: '130%' is not between 0% and 100%")]
    [TestCase("bad-profile.yaml", "fixtures/rigs/bad-profile.yaml:10:11: network.profiles.slow.jitter: 9 ms exceeds delay 5 ms")]
    [TestCase("unknown-profile.yaml", "fixtures/rigs/unknown-profile.yaml:12:20: network.default_profile: no impairment profile 'wan' (network.profiles has clean)")]
    [TestCase("unknown-profile.yaml", "fixtures/rigs/unknown-profile.yaml:7:16: boards.dut.network.profile: no impairment profile 'office-wifi'")]
    public async Task RigFile_ImpossibleOrUnknownProfile_Exit2AtFileLineColumnNamingTheKey(string rig, string expected)
    {
        var check = await Hilrig.RunAsync("rig", "check", "--rig", $"fixtures/rigs/{rig}");
        Assert.That(check.ExitCode, Is.EqualTo(2), check.ToString());
        Assert.That(check.Stderr, Does.Contain(expected));
        var results = Hilrig.Results("profile");
        var run = await Hilrig.RunAsync("run", "fixtures/features/good", "--rig", $"fixtures/rigs/{rig}", "--results", results);
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Stderr, Does.Contain(expected));
        Assert.That(Directory.Exists(results), Is.False, "nothing ran");
    }

    [TestCase("unknown-host.yaml", "--plan: fixtures/plans/unknown-host.yaml:3:5: partition: 'mainframe' is not a network host of this rig")]
    [TestCase("bad-value.yaml", "--plan: fixtures/plans/bad-value.yaml:4:13: steps[0].impair.jitter: 20 ms exceeds delay 0 ms")]
    [TestCase("no-such-plan.yaml", "--plan: fixtures/plans/no-such-plan.yaml: fault plan file not found")]
    [TestCase("two-strangers.yaml", "--plan: fixtures/plans/two-strangers.yaml:3:5: partition: 'mainframe' is not a network host of this rig")]
    [TestCase("two-strangers.yaml", "\nfixtures/plans/two-strangers.yaml:5:5: kill: 'toaster' is not a board of this rig")]
    public async Task Run_BadPlan_Exit2NamingWhereAndWhat_NothingRuns(string plan, string expected)
    {
        var results = Hilrig.Results("bad-plan");
        var r = await Hilrig.RunAsync("run", "fixtures/features/good", "--plan", $"fixtures/plans/{plan}", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain(expected));
        Assert.That(Directory.Exists(results), Is.False, "nothing ran");
    }

    [Test]
    public async Task Run_WithPlan_FailureReplayLineCarriesThePlan_AndTheReplayPlaysTheSameTimeline()
    {
        RequiredTool.RequireRoot("the default rig runs boards in SimNet network namespaces");
        var firstResults = Hilrig.Results("plan1");
        var first = await Hilrig.RunAsync("run", "fixtures/features/network/unpartitioned.feature", "--plan", "fixtures/plans/dut-jitter.yaml",
            "--seed", "99", "--results", firstResults);
        Assert.That(first.ExitCode, Is.EqualTo(1), first.ToString());
        Assert.That(first.Stdout, Does.Contain("board \"dut\" was never partitioned in this scenario"));
        // The first replay line: the one under the failure (the summary at the end repeats it).
        var replay = first.Stdout.Split('\n').First(l => l.Contains("replay:")).Split("replay: ./hilrig ")[1].Trim();
        Assert.That(replay, Is.EqualTo("run fixtures/features/network/unpartitioned.feature:2 --seed 99 --plan fixtures/plans/dut-jitter.yaml"));

        var secondResults = Hilrig.Results("plan2");
        var second = await Hilrig.RunAsync([.. replay.Split(' '), "--results", secondResults]);
        Assert.That(second.ExitCode, Is.EqualTo(1), second.ToString());
        string Planned(string results)
        {
            var file = Directory.GetFiles(Path.Combine(results, "artifacts"), "*fault-timeline*", SearchOption.AllDirectories).Single();
            return File.ReadAllText(file).Split("applied:")[0];
        }
        var planned = Planned(firstResults);
        Assert.That(planned, Does.StartWith("fault plan 'dut-jitter', seed ").And.Contain("impair all: delay 2 ms ± 1 ms"));
        Assert.That(planned.Split('\n').Count(l => l.Contains("loss 5.0 %")), Is.EqualTo(5), "every 200 ms from 100 ms to 1 s");
        Assert.That(Planned(secondResults), Is.EqualTo(planned), "the replay line expands the same fault timeline");
    }

    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Run_WithoutRoot_SimNetScenariosAreRigFaults_Exit3_SayingWhy()
    {
        RequiredTool.RequireRoot("switching to an unprivileged user needs root");
        var runuser = RequiredTool.Require("runuser", "runs the command as nobody");
        // Writable for nobody: its results and dotnet's first-run files go here.
        var home = Directory.CreateTempSubdirectory("hilrig-nobody-");
        File.SetUnixFileMode(home.FullName, (UnixFileMode)0b111_111_111);
        var results = Path.Combine(home.FullName, "results");
        // The checkout may sit where nobody cannot read (root's home is 0700): nobody runs a copy of what the run needs.
        var checkout = ReadableCopy(home.FullName, "HilRig.sln", "rig.yaml", "fixtures/features/network/unpartitioned.feature",
            Path.GetRelativePath(RepoPaths.Root, Path.GetDirectoryName(Hilrig.Dll)!),
            Path.Combine("src", "HilRig.Device", Path.GetRelativePath(Path.Combine(RepoPaths.Root, "harness", "HilRig.Cli"), Path.GetDirectoryName(Hilrig.Dll)!)));
        var info = new ProcessStartInfo(runuser) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = checkout };
        foreach (var a in new[] { "-u", "nobody", "--", "env", $"HOME={home.FullName}", $"DOTNET_CLI_HOME={home.FullName}", "TERM=dumb",
                     "dotnet", Path.Combine(checkout, Path.GetRelativePath(RepoPaths.Root, Hilrig.Dll)),
                     "run", "fixtures/features/network/unpartitioned.feature", "--results", results })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        var output = await stdout + await stderr;
        Assert.That(process.ExitCode, Is.EqualTo(3), output);
        Assert.That(output, Does.Contain("! dut was never partitioned").And.Contain("SimNet host 'dut' needs root")
            .And.Contain("network namespace").And.Contain("cannot run as this user"));
    }

    /// <summary>Copies <paramref name="paths"/> (files or directories, relative to the checkout) under <paramref name="parent"/>, readable by everyone.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static string ReadableCopy(string parent, params string[] paths)
    {
        var root = Path.Combine(parent, "checkout");
        foreach (var relative in paths)
        {
            var source = Path.Combine(RepoPaths.Root, relative);
            var files = Directory.Exists(source)
                ? Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(RepoPaths.Root, f))
                : [relative];
            foreach (var file in files)
            {
                var target = Path.Combine(root, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(Path.Combine(RepoPaths.Root, file), target, overwrite: true);
                File.SetUnixFileMode(target, File.GetUnixFileMode(target) | UnixFileMode.OtherRead | UnixFileMode.GroupRead);
            }
        }
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Append(root))
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        return root;
    }

    [Test]
    public async Task Run_RigWithProfilesAndAddresses_InForceOnTheLinks()
    {
        RequiredTool.RequireRoot("the rig's boards live in SimNet network namespaces");
        var r = await Hilrig.RunAsync("run", "fixtures/features/network/profiles.feature", "--rig", "fixtures/rigs/profiles.yaml", "--results", Hilrig.Results("profiles"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("1 scenario(s): 1 passed"));
    }

    [Test]
    public async Task Run_RigWithProfiles_AHostImpairedBeforeOthersJoin_KeepsThatImpairmentOnTheirLinks()
    {
        RequiredTool.RequireRoot("the rig's boards live in SimNet network namespaces");
        var r = await Hilrig.RunAsync("run", "fixtures/features/network/profiles-late-join.feature", "--rig", "fixtures/rigs/profiles.yaml", "--results", Hilrig.Results("profiles-late"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("1 scenario(s): 1 passed"));
    }

    [Test]
    public async Task Run_UpdateScenario_OnARigWithoutSimNet_CloudInTheHarnessOnLoopback()
    {
        var r = await Hilrig.RunAsync("run", "scenarios/update/update.feature:11", "--rig", "fixtures/rigs/loopback.yaml", "--results", Hilrig.Results("loopback"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("1 scenario(s): 1 passed"));
    }

    [Test]
    public async Task RigCheck_DefaultRig_ProbesSimNetAndTheCloudBuild()
    {
        var r = await Hilrig.RunAsync("rig", "check");
        Assert.That(r.Stdout, Does.Contain("network simnet: root").And.Contain("network simnet: /dev/net/tun").And.Contain("cloud: cloud build"));
    }
}
