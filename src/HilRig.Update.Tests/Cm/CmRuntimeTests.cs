using System.Net;
using System.Text;
using HilRig.Testing;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cm;

/// <summary>The CM's periodic check-ins in virtual time: a failed check-in is recorded and the next one still comes.</summary>
public class CmRuntimeTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(10);

    /// <summary>Moves virtual time on a second at a time until <paramref name="done"/> (the CM waits on it; HTTP runs in real time).</summary>
    private static async Task AdvanceUntilAsync(ManualTimeProvider time, Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"{what}: not within 30 s of real time");
            await Task.Delay(5);
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Test]
    public async Task PeriodicCheckIn_AnExpectedUmOffline_ReportsUmTimeoutToTheCloud_AndKeepsCheckingIn()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var rig = await UnitRig.StartAsync("cm-loop-um", startUnit: false);
        rig.CmTime = time;
        rig.CheckInPeriod = Period;
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        await rig.StartCmAsync();
        await rig.StartUmAsync("main");
        await rig.StartUmAsync("node-2"); // node-3 is offline

        await AdvanceUntilAsync(time, () => rig.CmRuntime.LastResult is not null || rig.CmRuntime.LastError is not null, "the first check-in's end");

        var first = rig.CmRuntime.LastResult;
        Assert.That(first?.Outcome, Is.Not.Null, $"the check-in ended without an outcome: {rig.CmRuntime.LastError}");
        Assert.That((first!.Outcome!.ImageVersion, first.Outcome.Success, first.Outcome.Reason), Is.EqualTo((version, false, "um-timeout")));
        Assert.That(first.Outcome.Detail, Does.Contain("node-3"));
        var recorded = (await rig.CloudResultsAsync()).Single();
        Assert.That((recorded.ImageVersion, recorded.Success, recorded.Reason), Is.EqualTo((version, false, "um-timeout")), "the cloud learns why");
        Assert.That(Directory.Exists(Path.Combine(rig.Cm.Config.ImageDirectory, version.ToString())), Is.False, "nothing left decrypted");

        await rig.StartUmAsync("node-3");
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.Count == 3, "every UM registered");
        time.Advance(Period);
        await UnitRig.WaitAsync(() => !ReferenceEquals(rig.CmRuntime.LastResult, first), "the next periodic check-in", TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task PeriodicCheckIn_ACheckInThatThrows_IsRecordedAsTheLastError_AndTheNextOneStillComes()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var garbage = new GarbageOnce();
        await using var rig = await UnitRig.StartAsync("cm-loop-err", startUnit: false);
        rig.CmTime = time;
        rig.CheckInPeriod = Period;
        rig.CmHttpInterceptor = garbage;
        await rig.StartUnitAsync();

        await UnitRig.WaitAsync(() => rig.CmRuntime.LastError is not null, "the first check-in's error");
        Assert.That(rig.CmRuntime.LastResult, Is.Null);

        time.Advance(Period);
        await UnitRig.WaitAsync(() => rig.CmRuntime.LastResult is not null, "the next periodic check-in");
        Assert.That(rig.CmRuntime.LastResult!.Offered, Is.False);
        Assert.That(rig.CmRuntime.LastError, Is.Null);
    }

    /// <summary>Answers the first check-in with something that is not JSON, as a broken proxy would.</summary>
    private sealed class GarbageOnce : DelegatingHandler
    {
        private int _checkIns;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.RequestUri!.AbsolutePath == CloudApi.CheckInPath && Interlocked.Increment(ref _checkIns) == 1)
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("<html>", Encoding.UTF8, "application/json") };
            return await base.SendAsync(request, ct);
        }
    }
}
