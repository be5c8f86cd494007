namespace HilRig.Rig.Drivers.Power.Relays;

/// <summary>
/// Modbus-RTU frames for a relay module (Modbus over Serial Line V1.02 §2.5; Modbus Application Protocol V1.1b3 §6.1,
/// §6.5, §7): <c>unit fn data… crc-lo crc-hi</c>. Function 05 writes a single coil (FF00 on, 0000 off) and is echoed;
/// function 01 reads coils back; an exception answer is <c>unit fn|0x80 code crc</c>.
/// </summary>
public static class ModbusRtu
{
    public const byte ReadCoils = 0x01;
    public const byte WriteSingleCoil = 0x05;

    /// <summary>CRC-16/MODBUS: polynomial 0xA001 (reflected 0x8005), initial 0xFFFF; sent low byte first.</summary>
    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0xFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++) crc = (crc & 1) != 0 ? (ushort)((crc >> 1) ^ 0xA001) : (ushort)(crc >> 1);
        }
        return crc;
    }

    public static byte[] WithCrc(params byte[] body)
    {
        var crc = Crc16(body);
        return [.. body, (byte)(crc & 0xFF), (byte)(crc >> 8)];
    }

    public static byte[] WriteCoil(byte unit, ushort coil, bool on) =>
        WithCrc(unit, WriteSingleCoil, (byte)(coil >> 8), (byte)coil, (byte)(on ? 0xFF : 0x00), 0x00);

    public static byte[] ReadCoil(byte unit, ushort coil) =>
        WithCrc(unit, ReadCoils, (byte)(coil >> 8), (byte)coil, 0x00, 0x01);

    public static bool CrcIsValid(ReadOnlySpan<byte> frame) =>
        frame.Length >= 4 && Crc16(frame[..^2]) == (ushort)(frame[^2] | frame[^1] << 8);

    /// <summary>The exception codes of the Application Protocol §7.</summary>
    public static string ExceptionName(byte code) => code switch
    {
        0x01 => "illegal function",
        0x02 => "illegal data address",
        0x03 => "illegal data value",
        0x04 => "server device failure",
        0x05 => "acknowledge",
        0x06 => "server device busy",
        0x08 => "memory parity error",
        0x0A => "gateway path unavailable",
        0x0B => "gateway target device failed to respond",
        _ => "unknown exception",
    };
}

/// <summary>A Modbus unit answered with an exception response; <see cref="Code"/> is its exception code.</summary>
public sealed class ModbusExceptionResponse(byte function, byte code, string message) : Exception(message)
{
    public byte Function { get; } = function;

    public byte Code { get; } = code;
}
