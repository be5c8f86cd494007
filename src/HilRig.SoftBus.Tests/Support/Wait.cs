using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Support;

/// <summary>Waits (in real time, with a deadline) for work on other threads, e.g. the endpoint's receive loop.</summary>
public static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"{what}: not within {seconds} s");
            await Task.Delay(5);
        }
    }
}
