using System.Net;

namespace HilRig.SoftBus.Router;

/// <summary>
/// Routers not to connect to again (ajtcl's routing-node blacklist): a ring of 16 (address, port) entries, the 17th
/// overwriting the 1st. Filled when a router refuses authentication or is older than the minimum protocol version;
/// answers from a listed router are ignored. Emptied only by a restart (a new instance).
/// </summary>
public sealed class RouterBlacklist
{
    public const int DefaultCapacity = 16;

    private readonly IPEndPoint?[] _ring;
    private readonly object _gate = new();
    private int _next;

    public RouterBlacklist(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new IPEndPoint?[capacity];
    }

    public int Capacity => _ring.Length;

    public void Add(IPEndPoint router)
    {
        lock (_gate)
        {
            if (Array.Exists(_ring, e => router.Equals(e))) return;
            _ring[_next] = router;
            _next = (_next + 1) % _ring.Length;
        }
    }

    public bool Contains(IPEndPoint router)
    {
        lock (_gate) return Array.Exists(_ring, e => router.Equals(e));
    }

    public IReadOnlyList<IPEndPoint> Entries
    {
        get { lock (_gate) return _ring.Where(e => e is not null).Select(e => e!).ToList(); }
    }
}
