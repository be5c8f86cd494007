using System.Net;

namespace HilRig.SoftBus.Auth;

/// <summary>
/// An authenticated peer: who it is, its addresses and ports, and the key (with its replay state) that protects the
/// auth channel and session-open frames. Found by key index when a frame names it.
/// </summary>
public sealed class AuthSession(FrameCipher cipher, string peerUdid, string peerName, IPAddress peerAddress, bool bound)
{
    public FrameCipher Cipher { get; } = cipher;
    public uint KeyIndex => Cipher.KeyIndex;
    public string PeerUdid { get; } = peerUdid;
    public string PeerName { get; set; } = peerName;
    public IPAddress PeerAddress { get; } = peerAddress;

    /// <summary>True when this session came from a PIN binding, false from a login with stored identity keys.</summary>
    public bool Bound { get; } = bound;

    public int PeerAuthPort { get; set; }
    public int PeerSessionPort { get; set; }

    /// <summary>Ends when the auth connection closes (the peer left, vanished or misbehaved).</summary>
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string? CloseReason { get; set; }

    public override string ToString() => $"{PeerName} ({PeerAddress}, key {KeyIndex}, {(Bound ? "bound" : "login")})";
}

/// <summary>The auth sessions of one device by key index, shared by its auth channel and its session server.</summary>
public sealed class AuthSessions
{
    private readonly Dictionary<uint, AuthSession> _byIndex = new();
    private int _next = Random.Shared.Next(1, 1 << 20);

    public uint NextKeyIndex() => (uint)Interlocked.Increment(ref _next);

    public void Add(AuthSession session)
    {
        lock (_byIndex) _byIndex[session.KeyIndex] = session;
    }

    public void Remove(AuthSession session)
    {
        lock (_byIndex) _byIndex.Remove(session.KeyIndex);
    }

    public bool TryGet(uint keyIndex, out AuthSession? session)
    {
        lock (_byIndex) return _byIndex.TryGetValue(keyIndex, out session);
    }

    public IReadOnlyList<AuthSession> All
    {
        get { lock (_byIndex) return _byIndex.Values.ToList(); }
    }
}
