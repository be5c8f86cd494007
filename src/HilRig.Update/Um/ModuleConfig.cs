namespace HilRig.Update.Um;

/// <summary>One module of a UM's configuration (after aos_updatemanager.cfg: ID, Plugin, Disabled, UpdatePriority, RebootPriority, Params).</summary>
public sealed record ModuleConfig(
    string Id,
    string Plugin,
    int UpdatePriority = 0,
    int RebootPriority = 0,
    bool Disabled = false,
    IReadOnlyDictionary<string, string>? Params = null)
{
    public string Param(string name) =>
        Params is not null && Params.TryGetValue(name, out var value) ? value : throw new UmConfigException($"module '{Id}' ({Plugin}): parameter '{name}' is missing");

    public string? OptionalParam(string name) => Params is not null && Params.TryGetValue(name, out var value) ? value : null;
}

public sealed class UmConfigException(string message) : Exception(message);
