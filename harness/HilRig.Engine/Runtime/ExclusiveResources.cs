using HilRig.Engine.Bindings;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Things only one scenario may use at a time when scenarios run side by side — a physical board above all. The
/// scheduler takes what a scenario is known to need before starting it, in name order, so two scenarios never wait on
/// each other; the rig takes anything else the first time a step uses it, and gives up with a rig fault naming the
/// holder when the wait outlasts its limit, rather than hang. A lease is held by its owner (the scenario's pickle) and
/// reentrant: a board the scheduler took for a scenario is the scenario's when its step asks again.
/// </summary>
[RunScoped]
public sealed class ExclusiveResources
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SemaphoreSlim> _semaphores = new();
    private readonly Dictionary<string, Holder> _holders = new();

    private sealed class Holder(object owner, string name)
    {
        public object Owner { get; } = owner;
        public string Name { get; } = name;
        public int Count { get; set; } = 1;
    }

    /// <summary>Who holds the resource now, for messages; null when it is free.</summary>
    public string? HolderOf(string key)
    {
        lock (_gate) return _holders.TryGetValue(key, out var h) ? h.Name : null;
    }

    public async Task<IDisposable> AcquireAsync(IEnumerable<string> keys, object owner, string ownerName, TimeSpan limit, CancellationToken cancellation)
    {
        var taken = new List<string>();
        try
        {
            foreach (var key in keys.Distinct().Order(StringComparer.Ordinal))
            {
                if (TryReenter(key, owner, out var semaphore))
                {
                    taken.Add(key);
                    continue;
                }
                if (!await semaphore!.WaitAsync(limit, cancellation)) throw Busy(key, limit);
                Hold(key, owner, ownerName);
                taken.Add(key);
            }
        }
        catch
        {
            Release(taken);
            throw;
        }
        return new Lease(this, taken);
    }

    /// <summary>The blocking form, for code that cannot await (a board built inside a synchronous step).</summary>
    public IDisposable Acquire(string key, object owner, string ownerName, TimeSpan limit, CancellationToken cancellation)
    {
        if (TryReenter(key, owner, out var semaphore)) return new Lease(this, [key]);
        if (!semaphore!.Wait(limit, cancellation)) throw Busy(key, limit);
        Hold(key, owner, ownerName);
        return new Lease(this, [key]);
    }

    private bool TryReenter(string key, object owner, out SemaphoreSlim? semaphore)
    {
        lock (_gate)
        {
            if (_holders.TryGetValue(key, out var holder) && ReferenceEquals(holder.Owner, owner))
            {
                holder.Count++;
                semaphore = null;
                return true;
            }
            if (!_semaphores.TryGetValue(key, out semaphore)) _semaphores[key] = semaphore = new SemaphoreSlim(1, 1);
            return false;
        }
    }

    private void Hold(string key, object owner, string ownerName)
    {
        lock (_gate) _holders[key] = new Holder(owner, ownerName);
    }

    private RigFaultException Busy(string key, TimeSpan limit) =>
        new($"{key} is in use by the scenario {HolderOf(key) ?? "(released meanwhile)"} and was not free within {limit.TotalSeconds:0.#} s; " +
            "scenarios that share a physical board run one after the other");

    private void Release(IEnumerable<string> keys)
    {
        lock (_gate)
        {
            foreach (var key in keys)
            {
                if (!_holders.TryGetValue(key, out var holder) || --holder.Count > 0) continue;
                _holders.Remove(key);
                _semaphores[key].Release();
            }
        }
    }

    private sealed class Lease(ExclusiveResources resources, IReadOnlyList<string> keys) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) resources.Release(keys);
        }
    }
}
