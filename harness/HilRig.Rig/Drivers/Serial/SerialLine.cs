using IoPorts = System.IO.Ports;

namespace HilRig.Rig.Drivers.Serial;

/// <summary>
/// Opens a serial line through System.IO.Ports with its settings, and turns what can go wrong — no such port, no udev
/// match, a port another process holds, a rate the driver refuses — into one IOException that says which.
/// </summary>
public static class SerialLine
{
    /// <summary>Resolves the port (path or udev match) to a device path.</summary>
    public static string Resolve(SerialSettings settings, UdevMatch? udev = null) =>
        settings.Path ?? (udev ?? new UdevMatch()).Find(settings.Match);

    public static IoPorts.SerialPort Open(SerialSettings settings, UdevMatch? udev = null)
    {
        var path = Resolve(settings, udev);
        if (!File.Exists(path)) throw new IOException($"serial port {path} does not exist");
        var holders = PortHolders.Of(path);
        if (holders.Count > 0)
            throw new IOException($"serial port {path} is busy: held by {string.Join(", ", holders.Select(h => $"pid {h.Pid} ({h.Command})"))}");
        var port = new IoPorts.SerialPort(path, settings.Baud, settings.Parity, settings.DataBits, settings.StopBits)
        {
            Handshake = settings.Handshake,
            // Reads are cancelled with tokens (ReadAsync ignores ReadTimeout); writes to a stuck line must not hang forever.
            WriteTimeout = 5000,
        };
        try
        {
            port.Open();
            port.DiscardInBuffer();
            return port;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            throw new IOException($"cannot open serial port {path} at {settings.Baud} baud: {e.Message}", e);
        }
    }
}
