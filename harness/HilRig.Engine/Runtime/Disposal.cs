namespace HilRig.Engine.Runtime;

/// <summary>Releasing many things where one failure must not stop the others (boards, drivers, scenario context).</summary>
public static class Disposal
{
    /// <summary>Disposes each object in order (async where it can), collecting failures into <paramref name="errors"/>.</summary>
    public static async Task DisposeAllAsync(IEnumerable<object> objects, List<Exception> errors)
    {
        foreach (var o in objects)
        {
            try
            {
                switch (o)
                {
                    case IAsyncDisposable ad:
                        await ad.DisposeAsync();
                        break;
                    case IDisposable d:
                        d.Dispose();
                        break;
                }
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }
    }
}
