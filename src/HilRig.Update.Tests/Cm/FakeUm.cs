using HilRig.Update.Cm;
using HilRig.Update.Protocol;

namespace HilRig.Update.Tests.Cm;

/// <summary>
/// A UM attached straight to a <see cref="UmRegistry"/>, answering each CM command at once, so the orchestrator runs
/// without gRPC or real time. It can fail at a step, or leave RevertUpdate unanswered (a UM that is slow to revert).
/// </summary>
internal sealed class FakeUm
{
    private readonly UmRegistry _registry;
    private readonly object _token;
    private UpdateStatus _status;

    private FakeUm(UmRegistry registry, string node)
    {
        _registry = registry;
        _status = new UpdateStatus { NodeId = node, UpdateState = UpdateState.Idle };
        _token = registry.Attach(node, _status.Clone(), OnCommand) ?? throw new InvalidOperationException($"{node} is already registered");
    }

    public static FakeUm Attach(UmRegistry registry, string node) => new(registry, node);

    public string? FailAt { get; set; }
    public bool AnswersRevert { get; set; } = true;
    public List<string> Received { get; } = new();

    /// <summary>Puts the UM in <paramref name="state"/> for <paramref name="image"/>, as one left from an update the CM has no record of.</summary>
    public void LeftIn(UpdateState state, ulong image)
    {
        _status = _status.Clone();
        _status.UpdateState = state;
        _status.ImageVersion = image;
        if (state == UpdateState.Failed) _status.Error = new Protocol.Common.ErrorInfo { Message = "left from image " + image };
        _registry.Report(_status.NodeId, _token, _status.Clone());
    }

    private ValueTask OnCommand(CMMessages message, CancellationToken ct)
    {
        var command = message.CMMessageCase.ToString();
        lock (Received) Received.Add(command);
        UpdateState? next = message.CMMessageCase switch
        {
            CMMessages.CMMessageOneofCase.PrepareUpdate => Step("prepare", UpdateState.Prepared, message.PrepareUpdate.ImageVersion),
            CMMessages.CMMessageOneofCase.StartUpdate => Step("update", UpdateState.Updated),
            CMMessages.CMMessageOneofCase.ApplyUpdate => Step("apply", UpdateState.Idle),
            CMMessages.CMMessageOneofCase.RevertUpdate => AnswersRevert ? UpdateState.Idle : null,
            _ => null,
        };
        if (next is { } state)
        {
            _status = _status.Clone();
            _status.UpdateState = state;
            if (state == UpdateState.Failed) _status.Error = new Protocol.Common.ErrorInfo { Message = $"fails at {FailAt}" };
            else _status.Error = null;
            _registry.Report(_status.NodeId, _token, _status.Clone());
        }
        return ValueTask.CompletedTask;
    }

    private UpdateState Step(string step, UpdateState success, ulong? version = null)
    {
        if (version is { } v) _status.ImageVersion = v;
        return FailAt == step ? UpdateState.Failed : success;
    }
}
