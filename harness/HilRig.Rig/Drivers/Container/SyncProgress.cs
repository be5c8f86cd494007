namespace HilRig.Rig.Drivers.Container;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its handler on the reporting thread. <see cref="Progress{T}"/> posts to the
/// thread pool, so what it collects may still be missing when the Docker call that reported it has returned.
/// </summary>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
