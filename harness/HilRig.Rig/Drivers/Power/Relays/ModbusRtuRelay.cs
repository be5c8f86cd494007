namespace HilRig.Rig.Drivers.Power.Relays;

/// <summary>
/// A relay module on Modbus-RTU: a coil per relay. Switching writes the coil (function 05) and checks the echo; with
/// verify on, the coil is read back (function 01). Timeouts, CRC errors, exception responses and answers from the wrong
/// unit or function are each reported as what they are.
/// </summary>
public sealed class ModbusRtuRelay(SerialTransport transport, byte unit, ushort coil, bool verify) : IPowerSwitch
{
    public string Description => $"relay_power (modbus-rtu, {transport.PortName} unit {unit} coil {coil})";

    public async Task SetAsync(bool on, CancellationToken cancellation = default)
    {
        var request = ModbusRtu.WriteCoil(unit, coil, on);
        var answer = await TransactAsync(request, 8, cancellation);
        if (!answer.AsSpan().SequenceEqual(request))
            throw new PowerSwitchException($"{Description}: write coil {(on ? "on" : "off")} was answered with {LcusRelay.Show(answer)}, not its echo {LcusRelay.Show(request)}");
        if (!verify) return;
        var state = await ReadAsync(cancellation);
        if (state != on)
            throw new PowerSwitchException($"{Description}: wrote the coil {(on ? "on" : "off")}, but reading it back (function 01) gives {(state == true ? "on" : "off")}");
    }

    public async Task<bool?> ReadAsync(CancellationToken cancellation = default)
    {
        var answer = await TransactAsync(ModbusRtu.ReadCoil(unit, coil), 6, cancellation);
        if (answer[2] != 1)
            throw new PowerSwitchException($"{Description}: read coils answered with byte count {answer[2]}, expected 1 ({LcusRelay.Show(answer)})");
        return (answer[3] & 1) != 0;
    }

    /// <summary>Sends a request and reads its answer: <paramref name="length"/> bytes, or the 5 of an exception response.</summary>
    private async Task<byte[]> TransactAsync(byte[] request, int length, CancellationToken cancellation)
    {
        var function = request[1];
        await transport.WriteAsync(request, cancellation);
        var deadline = DateTimeOffset.UtcNow + transport.Timeout;
        var head = await transport.ReadAsync(2, cancellation, deadline);
        if (head.Length < 2)
            throw new PowerSwitchException(head.Length == 0
                ? $"{Description}: no answer to function {function:x2} within {transport.Timeout.TotalSeconds:0.###} s"
                : $"{Description}: the answer to function {function:x2} stopped after {LcusRelay.Show(head)}");
        var isException = head[1] == (function | 0x80);
        var rest = await transport.ReadAsync((isException ? 5 : length) - 2, cancellation, deadline);
        var frame = head.Concat(rest).ToArray();
        if (frame.Length < (isException ? 5 : length))
            throw new PowerSwitchException($"{Description}: the answer to function {function:x2} stopped after {frame.Length} bytes: {LcusRelay.Show(frame)}");
        if (!ModbusRtu.CrcIsValid(frame))
            throw new PowerSwitchException($"{Description}: CRC error in the answer to function {function:x2}: {LcusRelay.Show(frame)} " +
                                           $"(CRC should be {ModbusRtu.Crc16(frame.AsSpan(0, frame.Length - 2)):x4})");
        if (frame[0] != unit)
            throw new PowerSwitchException($"{Description}: answer from unit {frame[0]}, not {unit}: {LcusRelay.Show(frame)}");
        if (isException)
            throw new PowerSwitchException($"{Description}: exception response to function {function:x2}: code {frame[2]:x2} ({ModbusRtu.ExceptionName(frame[2])})",
                new ModbusExceptionResponse(function, frame[2], ModbusRtu.ExceptionName(frame[2])));
        if (frame[1] != function)
            throw new PowerSwitchException($"{Description}: answer with function {frame[1]:x2} to a request with function {function:x2}: {LcusRelay.Show(frame)}");
        return frame;
    }

    public ValueTask DisposeAsync()
    {
        transport.Dispose();
        return ValueTask.CompletedTask;
    }
}
