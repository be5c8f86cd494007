using System.Text.Json.Serialization;
using HilRig.Update.Cm;
using HilRig.Update.Um;
using HilRig.Update.Um.Modules;

namespace HilRig.Update.Serialization;

/// <summary>
/// What the CM and UMs persist as JSON (handler state, the update plan, rootfs-ab's plan), source-generated for the
/// NativeAOT agent. Default options: the names are the C# ones, as the rows written before this context existed.
/// </summary>
[JsonSerializable(typeof(UmState))]
[JsonSerializable(typeof(PersistedPlan))]
[JsonSerializable(typeof(RootfsAbPlan))]
internal sealed partial class StateJson : JsonSerializerContext;
