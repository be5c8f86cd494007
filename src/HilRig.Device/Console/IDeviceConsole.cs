namespace HilRig.Device.Console;

/// <summary>Where the device prints its boot log and runs its shell.</summary>
public interface IDeviceConsole : IDisposable
{
    void Write(string text);

    string? ReadLine();
}
