using System.Text.Json;

namespace HilRig.Capture.Events;

/// <summary>One soft-bus auth frame: module, seq, flag, length; a plaintext body's HiChain message code, an encrypted body's key index and IV counter.</summary>
public sealed class SoftBusAuthEvent(FrameContext context, int module, long seq, int flag, uint length, bool encrypted, uint? keyIndex, long? ivCounter, int? messageCode)
    : DecodedEvent(context)
{
    public int Module { get; } = module;
    public long Seq { get; } = seq;
    public int Flag { get; } = flag;
    public uint Length { get; } = length;
    public bool Encrypted { get; } = encrypted;
    public uint? KeyIndex { get; } = keyIndex;
    public long? IvCounter { get; } = ivCounter;

    /// <summary>The HiChain envelope's "message" (0x0001 PAKE request … 0x8080 inform).</summary>
    public int? MessageCode { get; } = messageCode;

    public bool IsReply => Flag == 1;

    public static string ModuleName(int module) => module switch
    {
        1 => "TRUST_ENGINE", 2 => "HICHAIN", 3 => "AUTH_SDK", 4 => "HICHAIN_SYNC", 5 => "CONNECTION", 6 => "SESSION", 8 => "AUTH_CHANNEL", 9 => "AUTH_MSG",
        _ => $"module{module}",
    };

    public override string Protocol => "softbus-auth";

    public override string Summary =>
        $"{ModuleName(Module)} seq={Seq} flag={Flag} len={Length}" + (Encrypted ? $" encrypted key={KeyIndex} iv={IvCounter}" : "") +
        (MessageCode is { } c ? $" message=0x{c:X4}" : "");

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("module", Module);
        w.WriteString("module_name", ModuleName(Module));
        w.WriteNumber("seq", Seq);
        w.WriteNumber("flag", Flag);
        w.WriteNumber("len", Length);
        w.WriteBoolean("encrypted", Encrypted);
        if (KeyIndex is { } k) w.WriteNumber("key_index", k);
        if (IvCounter is { } iv) w.WriteNumber("iv_counter", iv);
        if (MessageCode is { } m) w.WriteString("message", $"0x{m:X4}");
    }
}

/// <summary>One session data frame: seq, flags, data length (payload + 28) and the seq its IV carries.</summary>
public sealed class SoftBusSessionEvent(FrameContext context, int seq, int flags, uint dataLength, int ivSeq) : DecodedEvent(context)
{
    public int Seq { get; } = seq;
    public int Flags { get; } = flags;
    public uint DataLength { get; } = dataLength;
    public int IvSeq { get; } = ivSeq;

    public override string Protocol => "softbus-session";

    public override string Summary => $"seq={Seq} flags={Flags} len={DataLength} (payload {DataLength - 28}){(IvSeq != Seq ? $" IV seq {IvSeq}!" : "")}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("seq", Seq);
        w.WriteNumber("flags", Flags);
        w.WriteNumber("data_len", DataLength);
        w.WriteNumber("iv_seq", IvSeq);
    }
}
