namespace HilRig.Steps.Cloud;

/// <summary>A running cloud of the rig: where units reach it, and its operator API.</summary>
public interface IUpdateCloud : IAsyncDisposable
{
    /// <summary>The base URL units are configured with (their CM checks in and downloads here).</summary>
    Uri UnitUrl { get; }

    /// <summary>The operator API (upload, delete, trigger, results, dashboard), over HTTP.</summary>
    CloudApiClient Api { get; }

    /// <summary>Where it runs, for the scenario log.</summary>
    string Where { get; }
}
