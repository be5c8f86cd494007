namespace HilRig.Update.Hosting;

/// <summary>
/// Ends a process the harness started (a device, the cloud) when the harness is gone. The harness holds the write
/// end of our stdin; the kernel closes it when the harness exits for any reason, even SIGKILL, and our read sees
/// end-of-file. So no such process outlives the run that started it.
/// </summary>
public static class Lifeline
{
    public static void Watch(Action onLost)
    {
        var thread = new Thread(() =>
        {
            var stdin = System.Console.OpenStandardInput();
            var buffer = new byte[64];
            try
            {
                while (stdin.Read(buffer, 0, buffer.Length) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
            onLost();
        })
        {
            IsBackground = true,
            Name = "lifeline",
        };
        thread.Start();
    }
}
