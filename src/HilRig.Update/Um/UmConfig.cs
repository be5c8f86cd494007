using HilRig.Update.Grpc;

namespace HilRig.Update.Um;

/// <summary>A UM's static configuration: its node, its priority among the node's UMs, its state and module directories, its modules.</summary>
public sealed record UmConfig(string NodeId, uint Priority, string StateDirectory, IReadOnlyList<ModuleConfig> Modules)
{
    /// <summary>Limits and timers of the RegisterUM stream (the same defaults as the CM's).</summary>
    public GrpcLinkOptions Link { get; init; } = new();

    /// <summary>This node's certificate, key and node CA for mutual TLS to an <c>https://</c> CM. Null: cleartext.</summary>
    public Security.NodeCredentials? Credentials { get; init; }

    public string DatabasePath => Path.Combine(StateDirectory, "um.db");
    public string DownloadDirectory => Path.Combine(StateDirectory, "download");
    public string ModuleDirectory => Path.Combine(StateDirectory, "modules");
}
