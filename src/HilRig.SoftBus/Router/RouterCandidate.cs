using System.Net;

namespace HilRig.SoftBus.Router;

/// <summary>A router heard during the selection window: where it listens, its protocol version and its rank (SRV priority, lower is better).</summary>
public sealed record RouterCandidate(IPEndPoint Endpoint, string Guid, string Name, int ProtocolVersion, int Priority)
{
    public static RouterCandidate From(NameServiceAnswer a) => new(a.Router, a.Guid, a.Name, a.EffectiveProtocolVersion, a.Priority);

    public override string ToString() => $"{Name} at {Endpoint} (ajpv {ProtocolVersion}, priority {Priority})";
}
