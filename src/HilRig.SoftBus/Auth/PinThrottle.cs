namespace HilRig.SoftBus.Auth;

/// <summary>
/// Slows down PIN guessing: the first <see cref="FreeAttempts"/> consecutive wrong PINs cost nothing, each one after locks
/// pairing for <see cref="FirstLockout"/>, doubling, up to <see cref="MaxLockout"/>. A right PIN clears the count. One
/// throttle per device (not per peer: a guesser can change its identity at will).
/// </summary>
public sealed class PinThrottle(TimeProvider time)
{
    private readonly object _gate = new();
    private int _failures;
    private DateTimeOffset _lockedUntil = DateTimeOffset.MinValue;

    public int FreeAttempts { get; init; } = 2;

    public TimeSpan FirstLockout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxLockout { get; init; } = TimeSpan.FromMinutes(10);

    public int ConsecutiveFailures
    {
        get { lock (_gate) return _failures; }
    }

    /// <summary>How long pairing stays locked, or null when an attempt may be made now.</summary>
    public TimeSpan? LockedFor()
    {
        lock (_gate)
        {
            var left = _lockedUntil - time.GetUtcNow();
            return left > TimeSpan.Zero ? left : null;
        }
    }

    public void Failed()
    {
        lock (_gate)
        {
            _failures++;
            if (_failures <= FreeAttempts) return;
            var lockout = FirstLockout * Math.Pow(2, Math.Min(20, _failures - FreeAttempts - 1));
            _lockedUntil = time.GetUtcNow() + (lockout > MaxLockout ? MaxLockout : lockout);
        }
    }

    public void Succeeded()
    {
        lock (_gate)
        {
            _failures = 0;
            _lockedUntil = DateTimeOffset.MinValue;
        }
    }
}
