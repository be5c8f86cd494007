using System.Reflection;
using System.Runtime.InteropServices;

namespace HilRig.Capture.Live;

/// <summary>
/// P/Invoke declarations for the few libpcap calls live capture makes. SharpPcap would do as well, but its device list
/// is a process-wide cache that a thread outside the capture's network namespace can fill first (platform-dotnet.md
/// §0); opening a device by name on the namespace thread has no such trap. Debian's runtime package ships only
/// <c>libpcap.so.0.8</c>; the unversioned <c>libpcap.so</c> comes with -dev, so a resolver tries both.
/// </summary>
internal static unsafe partial class LibPcap
{
    private const string Library = "pcap";
    public const int ErrorBufferSize = 256; // PCAP_ERRBUF_SIZE

    static LibPcap()
    {
        NativeLibrary.SetDllImportResolver(typeof(LibPcap).Assembly, Resolve);
    }

    /// <summary>Forces the static constructor (and so the resolver) before the first call.</summary>
    public static void EnsureResolver() { }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in new[] { "libpcap.so.0.8", "libpcap.so.1", "libpcap.so" })
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero;
    }

    /// <summary>struct pcap_pkthdr on LP64 Linux: struct timeval (two longs), caplen, len.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PacketHeader
    {
        public long Seconds;
        public long Microseconds;
        public uint CapturedLength;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct BpfProgram
    {
        public uint Length;
        public IntPtr Instructions;
    }

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr pcap_create(string source, byte* errorBuffer);

    [LibraryImport(Library)]
    public static partial int pcap_set_snaplen(IntPtr p, int snaplen);

    [LibraryImport(Library)]
    public static partial int pcap_set_promisc(IntPtr p, int promisc);

    [LibraryImport(Library)]
    public static partial int pcap_set_immediate_mode(IntPtr p, int immediate);

    [LibraryImport(Library)]
    public static partial int pcap_set_timeout(IntPtr p, int milliseconds);

    [LibraryImport(Library)]
    public static partial int pcap_set_buffer_size(IntPtr p, int bytes);

    [LibraryImport(Library)]
    public static partial int pcap_activate(IntPtr p);

    [LibraryImport(Library)]
    public static partial int pcap_datalink(IntPtr p);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int pcap_compile(IntPtr p, BpfProgram* program, string filter, int optimize, uint netmask);

    [LibraryImport(Library)]
    public static partial int pcap_setfilter(IntPtr p, BpfProgram* program);

    [LibraryImport(Library)]
    public static partial void pcap_freecode(BpfProgram* program);

    [LibraryImport(Library)]
    public static partial int pcap_next_ex(IntPtr p, PacketHeader** header, byte** data);

    [LibraryImport(Library)]
    public static partial void pcap_breakloop(IntPtr p);

    [LibraryImport(Library)]
    public static partial void pcap_close(IntPtr p);

    [LibraryImport(Library)]
    public static partial IntPtr pcap_geterr(IntPtr p);

    [LibraryImport(Library)]
    public static partial IntPtr pcap_statustostr(int error);

    public static string Error(IntPtr p) => Marshal.PtrToStringUTF8(pcap_geterr(p)) ?? "unknown libpcap error";

    public static string Status(int status) => Marshal.PtrToStringUTF8(pcap_statustostr(status)) ?? status.ToString();
}
