using System.Text.Json.Serialization;
using HilRig.SoftBus.Auth;

namespace HilRig.SoftBus;

/// <summary>
/// Source-generated JSON for what the soft bus persists and sends as typed values: the device agent links this library
/// and is published with NativeAOT, where reflection-based serialization is not available. Property names stay as the
/// reflection serializer wrote them, so existing trusted.json files still load.
/// </summary>
[JsonSerializable(typeof(List<TrustStore.StoredPeer>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class SoftBusJson : JsonSerializerContext;
