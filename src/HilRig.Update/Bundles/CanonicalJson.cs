using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace HilRig.Update.Bundles;

/// <summary>
/// The canonical form that is signed: no whitespace, object members sorted by ordinal name, integers as integers,
/// other numbers in round-trip form. Duplicate member names are refused, because two readers could pick
/// different values for them and the signature would no longer say one thing.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    public static byte[] Serialize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            Write(writer, element, "$");
        return buffer.WrittenSpan.ToArray();
    }

    public static string SerializeToString(JsonElement element) => System.Text.Encoding.UTF8.GetString(Serialize(element));

    private static void Write(Utf8JsonWriter writer, JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<JsonProperty>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                {
                    if (!names.Add(member.Name))
                        throw new CanonicalJsonException($"{path}.{member.Name}: duplicate member name");
                    members.Add(member);
                }
                members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                writer.WriteStartObject();
                foreach (var member in members)
                {
                    writer.WritePropertyName(member.Name);
                    Write(writer, member.Value, $"{path}.{member.Name}");
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                var index = 0;
                foreach (var item in element.EnumerateArray()) Write(writer, item, $"{path}[{index++}]");
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var integer)) writer.WriteNumberValue(integer);
                else if (element.TryGetDouble(out var real) && double.IsFinite(real))
                    writer.WriteRawValue(real.ToString("R", CultureInfo.InvariantCulture));
                else throw new CanonicalJsonException($"{path}: number {element.GetRawText()} is out of range");
                break;
            case JsonValueKind.True: writer.WriteBooleanValue(true); break;
            case JsonValueKind.False: writer.WriteBooleanValue(false); break;
            case JsonValueKind.Null: writer.WriteNullValue(); break;
            default: throw new CanonicalJsonException($"{path}: unexpected {element.ValueKind}");
        }
    }
}

/// <summary>JSON that has no canonical form (duplicate names, numbers out of range).</summary>
public sealed class CanonicalJsonException(string message) : Exception(message);
