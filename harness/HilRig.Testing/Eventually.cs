using NUnit.Framework;

namespace HilRig.Testing;

/// <summary>Waits for a condition outside the test's control (a file a tool creates, a process ending), with a deadline.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"{what}: not within {timeout.TotalSeconds:0.#} s");
            await Task.Delay(20);
        }
    }
}
