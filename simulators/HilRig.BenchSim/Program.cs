using System.Runtime.InteropServices;
using HilRig.BenchSim;
using HilRig.Update.Hosting;

// HilRig.BenchSim: a simulated bench for physical-rig drivers. See BenchOptions.Usage.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"HilRig.BenchSim: {e.Message}\n{BenchOptions.Usage}");
    return 2;
}

var bench = new SimulatedBench(options);
var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
// Whoever started the bench holds our stdin: when it is gone, so is the bench (and the board behind its relays).
Lifeline.Watch(() => done.TrySetResult());
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; done.TrySetResult(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; done.TrySetResult(); });
Console.WriteLine($"ready {Path.GetFullPath(options.Directory)}");
await done.Task;
await bench.DisposeAsync();
return 0;
