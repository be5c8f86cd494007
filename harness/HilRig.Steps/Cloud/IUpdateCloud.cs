using HilRig.Cloud;

namespace HilRig.Steps.Cloud;

/// <summary>A running cloud of the rig: where units reach it, its operator API, and its data directory.</summary>
public interface IUpdateCloud : IAsyncDisposable
{
    /// <summary>The base URL units are configured with (their CM checks in and downloads here), HTTPS.</summary>
    Uri UnitUrl { get; }

    /// <summary>The operator API (upload, delete, trigger, results, dashboard) over HTTPS, with the admin token.</summary>
    CloudApiClient Api { get; }

    /// <summary>The cloud's data directory: its CA (to enroll units), tokens, security log.</summary>
    CloudDataDirectory Data { get; }

    /// <summary>A handler whose connections reach the operator API at <see cref="CloudApiClient.BaseAddress"/> (TLS left to the caller).</summary>
    SocketsHttpHandler OperatorHandler();

    /// <summary>A TCP socket bound to <paramref name="endpoint"/> on the cloud's host (its network namespace on SimNet), for another service on that machine.</summary>
    System.Net.Sockets.Socket BindOnHost(System.Net.IPEndPoint endpoint);

    /// <summary>Where it runs, for the scenario log.</summary>
    string Where { get; }
}
