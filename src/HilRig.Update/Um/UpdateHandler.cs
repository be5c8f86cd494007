using Google.Protobuf;
using HilRig.AbUpdate;
using HilRig.Update.Protocol;
using HilRig.Update.Protocol.Common;
using HilRig.Update.Um.Modules;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Um;

/// <summary>
/// The UM's update handler (after aos_updatemanager's updatehandler): the state machine
/// <code>
/// prepare: idle → prepared     update: prepared → updated     apply: updated → idle
/// revert: prepared | updated | failed → idle                    any callback error → failed
/// </code>
/// persisted on every transition. Update, Apply and Revert run the modules of one update priority in parallel (a
/// barrier between priorities); modules that ask for a reboot get Reboot in reboot-priority order and then the
/// same step again, so one system reboot serves them all and the step finishes on the next boot.
/// A command that repeats what is already done (the CM re-sending after its own restart) is answered with the
/// current status instead of an error.
/// </summary>
public sealed class UpdateHandler : IAsyncDisposable
{
    private const int MaxRebootRounds = 4;
    private readonly UmConfig _config;
    private readonly UmStateStore _store;
    private readonly ISystemReboot _reboot;
    private readonly ImageFetcher _fetcher;
    private readonly TimeProvider _time;
    private readonly ILogger? _log;
    private readonly List<(ModuleConfig Config, IUpdateModule Module)> _modules = new();
    private readonly SemaphoreSlim _busy = new(1, 1);
    private UmState _state;

    /// <param name="disk">The node's A/B disk as this boot found it, for <c>rootfs-ab</c> modules (null: the node has none).</param>
    public UpdateHandler(UmConfig config, UmStateStore store, ISystemReboot reboot, ImageFetcher fetcher, TimeProvider time, ILogger? log = null, BootedDisk? disk = null)
    {
        _config = config;
        _store = store;
        _reboot = reboot;
        _fetcher = fetcher;
        _time = time;
        _log = log;
        _state = store.Load();
        foreach (var m in config.Modules.Where(m => !m.Disabled))
        {
            var context = new ModuleContext(m, store.ForModule(m.Id), reboot, Path.Combine(config.ModuleDirectory, m.Id), disk);
            _modules.Add((m, ModuleFactory.Create(context)));
        }
    }

    public UmState State => _state;

    public IReadOnlyList<IUpdateModule> Modules => _modules.Select(m => m.Module).ToList();

    /// <summary>Initialises the modules and finishes a step a reboot interrupted.</summary>
    public async Task InitAsync(CancellationToken ct)
    {
        foreach (var (config, module) in _modules)
        {
            Directory.CreateDirectory(Path.Combine(_config.ModuleDirectory, config.Id));
            await module.InitAsync(ct);
        }
        if (_state.PendingOperation is { } operation)
        {
            _log?.LogInformation("{Node}: resuming {Operation} after restart", _config.NodeId, operation);
            await _busy.WaitAsync(ct);
            try { await CompleteAsync(operation, ct); }
            finally { _busy.Release(); }
        }
    }

    /// <summary>Runs one CM command to its end and returns the status to send back.</summary>
    public async Task<UpdateStatus> HandleAsync(CMMessages message, CancellationToken ct)
    {
        await _busy.WaitAsync(ct);
        try
        {
            switch (message.CMMessageCase)
            {
                case CMMessages.CMMessageOneofCase.PrepareUpdate:
                    await PrepareAsync(message.PrepareUpdate, ct);
                    break;
                case CMMessages.CMMessageOneofCase.StartUpdate:
                    if (_state.State == UpdateState.Updated) break;
                    if (!Allowed("start_update", UpdateState.Prepared)) break;
                    await BeginAsync("update", ct);
                    break;
                case CMMessages.CMMessageOneofCase.ApplyUpdate:
                    if (_state.State == UpdateState.Idle) break;
                    if (!Allowed("apply_update", UpdateState.Updated)) break;
                    await BeginAsync("apply", ct);
                    break;
                case CMMessages.CMMessageOneofCase.RevertUpdate:
                    if (_state.State == UpdateState.Idle) break;
                    await BeginAsync("revert", ct);
                    break;
                default:
                    return Status($"empty CMMessages");
            }
            return Status();
        }
        finally { _busy.Release(); }
    }

    public UpdateStatus Status(string? commandError = null)
    {
        var status = new UpdateStatus
        {
            NodeId = _config.NodeId,
            Priority = _config.Priority,
            UpdateState = _state.State,
            ImageVersion = _state.ImageVersion,
        };
        var error = commandError ?? _state.Error;
        if (error is not null) status.Error = new ErrorInfo { AosCode = 1, Message = error };
        foreach (var (config, module) in _modules)
        {
            status.Components.Add(new ComponentStatus { ComponentId = module.Id, ComponentType = module.Type, Version = module.Version, State = ComponentState.Installed });
            var pending = _state.Components.FirstOrDefault(c => c.Id == module.Id);
            if (pending is not null && _state.State != UpdateState.Idle)
            {
                var failed = _state.State == UpdateState.Failed;
                status.Components.Add(new ComponentStatus
                {
                    ComponentId = pending.Id, ComponentType = module.Type, Version = pending.Version,
                    State = failed ? ComponentState.Error : ComponentState.Installing,
                    Error = failed && _state.Error is not null ? new ErrorInfo { AosCode = 1, Message = _state.Error } : null,
                });
            }
        }
        return status;
    }

    private bool Allowed(string command, UpdateState required)
    {
        if (_state.State == required) return true;
        _log?.LogWarning("{Node}: {Command} is not allowed in state {State}", _config.NodeId, command, _state.State);
        return false;
    }

    private async Task PrepareAsync(PrepareUpdate prepare, CancellationToken ct)
    {
        if (_state.State == UpdateState.Prepared && _state.ImageVersion == prepare.ImageVersion) return;
        if (_state.State != UpdateState.Idle)
        {
            Save(_state with { Error = $"prepare_update is not allowed in state {_state.State}" });
            return;
        }
        var components = prepare.Components.Select(c => new PreparedComponent(c.ComponentId, c.ComponentType, c.Version,
            c.Annotations.Length == 0 ? null : c.Annotations, c.Url, Convert.ToHexStringLower(c.Sha256.Span), c.Size)).ToList();
        var preparing = _state with { ImageVersion = prepare.ImageVersion, Components = components, Error = null, PendingOperation = null };
        try
        {
            var selected = new List<(ModuleConfig, IUpdateModule, PrepareComponentInfo)>();
            foreach (var c in prepare.Components)
            {
                var (config, module) = _modules.FirstOrDefault(m => m.Module.Id == c.ComponentId);
                if (module is null) throw new UpdateStepException($"no module of node '{_config.NodeId}' updates component '{c.ComponentId}'");
                var order = ComponentVersion.Compare(c.Version, module.Version);
                if (order < 0 && !DowngradeAuthorized(c.Annotations)) throw new UpdateStepException($"component '{c.ComponentId}': version downgrade from {module.Version} to {c.Version} has been rejected");
                if (order == 0) throw new UpdateStepException($"component '{c.ComponentId}': version {c.Version} is already installed");
                selected.Add((config, module, c));
            }
            foreach (var group in selected.GroupBy(s => s.Item1.UpdatePriority).OrderByDescending(g => g.Key))
                await Task.WhenAll(group.Select(async s =>
                {
                    var (_, module, c) = s;
                    var sha256 = c.Sha256.ToByteArray();
                    var path = await _fetcher.FetchAsync(c.Url, sha256, c.Size, c.ComponentId, ct);
                    var image = new StagedImage(path, c.Version, c.Annotations.Length == 0 ? null : c.Annotations, sha256);
                    await Step(module, "prepare", () => module.PrepareAsync(image, ct));
                }));
            Save(preparing with { State = UpdateState.Prepared });
        }
        catch (Exception e) when (e is not (SystemRebootException or OperationCanceledException))
        {
            Fail(preparing, e);
        }
    }

    /// <summary>
    /// A downgrade is refused unless the CM marked it as the cloud's signed move back to the previous image (seed
    /// 001: "switch the unit to the previous version").
    /// </summary>
    private static bool DowngradeAuthorized(string annotations)
    {
        if (string.IsNullOrEmpty(annotations)) return false;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(annotations);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object &&
                   doc.RootElement.TryGetProperty(Cm.CommunicationManager.DowngradeAnnotation, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.True;
        }
        catch (System.Text.Json.JsonException) { return false; }
    }

    /// <summary>Persists the step as pending before running it, so a reboot in the middle resumes it.</summary>
    private async Task BeginAsync(string operation, CancellationToken ct)
    {
        Save(_state with { PendingOperation = operation, Error = operation == "revert" ? null : _state.Error });
        await CompleteAsync(operation, ct);
    }

    private async Task CompleteAsync(string operation, CancellationToken ct)
    {
        try
        {
            await RunWithRebootsAsync(operation, ct);
            Save(operation switch
            {
                "update" => _state with { State = UpdateState.Updated, PendingOperation = null },
                "apply" => UmState.IdleOn(_state.ImageVersion),
                _ => UmState.IdleOn(_state.InstalledImageVersion),
            });
        }
        catch (Exception e) when (e is not (SystemRebootException or OperationCanceledException))
        {
            Fail(_state with { PendingOperation = null }, e);
        }
    }

    private async Task RunWithRebootsAsync(string operation, CancellationToken ct)
    {
        var involved = _modules.Where(m => _state.Components.Any(c => c.Id == m.Module.Id)).ToList();
        var stopOnError = operation == "update";
        for (var round = 0; ; round++)
        {
            var needReboot = new List<(ModuleConfig Config, IUpdateModule Module)>();
            var errors = new List<Exception>();
            foreach (var group in involved.GroupBy(m => m.Config.UpdatePriority).OrderByDescending(g => g.Key))
            {
                var results = await Task.WhenAll(group.Select(async m =>
                {
                    try { return (m, Reboot: await Step(m.Module, operation, () => Run(m.Module, operation, ct)), Error: (Exception?)null); }
                    catch (Exception e) when (e is not (SystemRebootException or OperationCanceledException)) { return (m, Reboot: false, Error: e); }
                }));
                errors.AddRange(results.Where(r => r.Error is not null).Select(r => r.Error!));
                needReboot.AddRange(results.Where(r => r.Reboot).Select(r => r.m));
                if (errors.Count > 0 && stopOnError) break;
            }
            if (errors.Count > 0) throw errors.Count == 1 ? errors[0] : new AggregateException(errors);
            if (needReboot.Count == 0) return;
            if (round == MaxRebootRounds) throw new UpdateStepException($"{operation}: modules {string.Join(", ", needReboot.Select(m => m.Module.Id))} still ask for a reboot after {round} rounds");
            foreach (var (_, module) in needReboot.OrderByDescending(m => m.Config.RebootPriority))
                await Step(module, "reboot", () => module.RebootAsync(ct));
        }
    }

    private static Task<bool> Run(IUpdateModule module, string operation, CancellationToken ct) => operation switch
    {
        "update" => module.UpdateAsync(ct),
        "apply" => module.ApplyAsync(ct),
        "revert" => module.RevertAsync(ct),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private static async Task Step(IUpdateModule module, string step, Func<Task> action) =>
        await Step(module, step, async () => { await action(); return true; });

    /// <summary>Adds the module and step to any error, keeping the cause (RAUC's prefixed errors).</summary>
    private static async Task<T> Step<T>(IUpdateModule module, string step, Func<Task<T>> action)
    {
        try { return await action(); }
        catch (Exception e) when (e is not (SystemRebootException or OperationCanceledException or UpdateStepException))
        {
            throw new UpdateStepException($"module '{module.Id}' {step}: {e.Message}", e);
        }
    }

    private void Fail(UmState state, Exception e)
    {
        var message = e is AggregateException a ? string.Join("; ", a.InnerExceptions.Select(x => x.Message)) : e.Message;
        _log?.LogWarning("{Node}: failed: {Error}", _config.NodeId, message);
        Save(state with { State = UpdateState.Failed, Error = message });
    }

    private void Save(UmState state)
    {
        _store.Save(state, _time.GetUtcNow());
        _state = state;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, module) in _modules) await module.DisposeAsync();
    }
}

public sealed class UpdateStepException(string message, Exception? inner = null) : Exception(message, inner);
