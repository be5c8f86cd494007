using HilRig.Device.Console;

namespace HilRig.Device.Shell;

/// <summary>What a shell command can reach: the console to print on, and the device it runs on.</summary>
public sealed class ShellContext(IDeviceConsole console, DeviceHost device)
{
    public DeviceHost Device { get; } = device;

    public void WriteLine(string line = "") => console.Write(line + "\n");

    public void Write(string text) => console.Write(text);

    /// <summary>Prints an error the way sh does: <c>name: message</c>.</summary>
    public int Fail(string command, string message, int code = 1)
    {
        WriteLine($"{command}: {message}");
        return code;
    }
}
