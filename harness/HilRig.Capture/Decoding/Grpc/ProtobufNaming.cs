using Google.Protobuf;

namespace HilRig.Capture.Decoding.Grpc;

/// <summary>Names a decoded message the way a scenario speaks of it.</summary>
public static class ProtobufNaming
{
    /// <summary>
    /// For a message with exactly one oneof that is set, the set field's message type name (CMMessages with
    /// prepare_update set → "PrepareUpdate"); otherwise the message's own type name.
    /// </summary>
    public static string KindOf(IMessage message)
    {
        var descriptor = message.Descriptor;
        if (descriptor.Oneofs.Count == 1)
        {
            var oneof = descriptor.Oneofs[0];
            var set = oneof.Accessor.GetCaseFieldDescriptor(message);
            if (set is not null)
                return set.FieldType == Google.Protobuf.Reflection.FieldType.Message ? set.MessageType.Name : set.JsonName;
        }
        return descriptor.Name;
    }
}
