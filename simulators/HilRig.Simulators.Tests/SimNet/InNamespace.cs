using HilRig.Capture.Live;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// Runs code on a fresh thread that has entered a network namespace: sockets it creates belong to that
/// namespace for their whole life, which lets one test process play several hosts without spawning tools.
/// </summary>
internal static class InNamespace
{
    public static T Run<T>(string netns, Func<T> body)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                NetworkNamespaceThread.Enter(netns);
                result = body();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException($"in namespace {netns}: {error.Message}", error);
        return result;
    }
}
