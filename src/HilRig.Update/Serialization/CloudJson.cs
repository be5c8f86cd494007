using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Update.Cloud;

namespace HilRig.Update.Serialization;

/// <summary>
/// The unit's side of the cloud API (check-in, result report), source-generated so the NativeAOT device agent needs no
/// reflection: the same camelCase, nulls-omitted form as <see cref="CloudApi.Json"/>, which the cloud server keeps.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(CheckInRequest))]
[JsonSerializable(typeof(CheckInResponse))]
[JsonSerializable(typeof(ResultReport))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class CloudJson : JsonSerializerContext;
