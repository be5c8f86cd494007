using System.Text;

namespace HilRig.Rig.Native;

/// <summary>
/// A pseudo-terminal pair. The device opens <see cref="SlavePath"/> as its console, as it would a UART; the
/// harness reads and writes the master. The harness also holds the slave open, so the master does not report
/// hang-up (EIO) while the device is powered off — like a serial cable that stays plugged in.
/// </summary>
internal sealed class Pty : IDisposable
{
    private int _master;
    private int _heldSlave;

    private Pty(int master, string slavePath, int heldSlave)
    {
        _master = master;
        SlavePath = slavePath;
        _heldSlave = heldSlave;
    }

    public int MasterFd => _master;

    public string SlavePath { get; }

    /// <summary>Opens a pair; with <paramref name="holdSlave"/> false the slave is left for exactly one other opener (a simulated cable end).</summary>
    public static Pty Open(bool holdSlave = true)
    {
        var master = Libc.posix_openpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
        if (master < 0) throw new IOException($"posix_openpt failed: {Libc.LastError()}");
        try
        {
            if (Libc.grantpt(master) != 0) throw new IOException($"grantpt failed: {Libc.LastError()}");
            if (Libc.unlockpt(master) != 0) throw new IOException($"unlockpt failed: {Libc.LastError()}");
            Span<byte> name = stackalloc byte[128];
            if (Libc.ptsname_r(master, name, name.Length) != 0) throw new IOException($"ptsname_r failed: {Libc.LastError()}");
            var path = Encoding.ASCII.GetString(name[..name.IndexOf((byte)0)]);
            if (!holdSlave) return new Pty(master, path, -1);
            var slave = Libc.open(path, Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
            if (slave < 0) throw new IOException($"opening {path} failed: {Libc.LastError()}");
            return new Pty(master, path, slave);
        }
        catch
        {
            Libc.close(master);
            throw;
        }
    }

    public void Dispose()
    {
        if (_master >= 0) Libc.close(_master);
        if (_heldSlave >= 0) Libc.close(_heldSlave);
        _master = _heldSlave = -1;
    }
}
