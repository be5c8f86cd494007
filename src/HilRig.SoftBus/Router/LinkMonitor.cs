namespace HilRig.SoftBus.Router;

/// <summary>
/// The router link's liveness (ajtcl aj_link_timeout.c): after <c>timeout</c> (at least
/// <see cref="RouterTimers.MinimumLinkTimeout"/>, 40 s) with nothing received, send org.alljoyn.Daemon.ProbeReq, and
/// again every <see cref="RouterTimers.ProbeInterval"/> (5 s); when <see cref="RouterTimers.MaxProbes"/> (3) probes went
/// unanswered for one more interval, the link is dead (≈ timeout + 15 s). Anything received resets it. All on the
/// <see cref="TimeProvider"/>.
/// </summary>
public sealed class LinkMonitor : IDisposable
{
    private readonly object _gate = new();
    private readonly ITimer _timer;
    private readonly RouterTimers _timers;
    private readonly Func<Task> _probe;
    private readonly Action _dead;
    private int _unanswered;
    private bool _over;

    /// <param name="requested">What the application asked for (SetBusLinkTimeout); raised to the minimum.</param>
    /// <param name="probe">Sends one ProbeReq.</param>
    /// <param name="dead">Called once, when the link timed out.</param>
    public LinkMonitor(TimeSpan requested, RouterTimers timers, TimeProvider time, Func<Task> probe, Action dead)
    {
        _timers = timers;
        Timeout = requested < timers.MinimumLinkTimeout ? timers.MinimumLinkTimeout : requested;
        _probe = probe;
        _dead = dead;
        _timer = time.CreateTimer(_ => OnTimer(), null, Timeout, System.Threading.Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Timeout { get; }

    public int ProbesSent { get; private set; }

    /// <summary>Something arrived from the router: the link is alive.</summary>
    public void Received()
    {
        lock (_gate)
        {
            if (_over) return;
            _unanswered = 0;
            _timer.Change(Timeout, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            if (_over) return;
            if (_unanswered >= _timers.MaxProbes)
            {
                _over = true;
            }
            else
            {
                _unanswered++;
                ProbesSent++;
                _timer.Change(_timers.ProbeInterval, System.Threading.Timeout.InfiniteTimeSpan);
            }
        }
        if (_over) _dead();
        else _ = _probe();
    }

    public void Dispose()
    {
        lock (_gate) _over = true;
        _timer.Dispose();
    }
}
