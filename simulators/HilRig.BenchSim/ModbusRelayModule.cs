using HilRig.Rig.Drivers.Power.Relays;

namespace HilRig.BenchSim;

/// <summary>
/// A simulated 8-channel Modbus-RTU relay module, unit 1: function 05 writes a coil (and is echoed), function 01 reads
/// coils; any other function gets exception 01, a coil beyond 7 exception 02. A frame with a bad CRC, or for another
/// unit, gets no answer (Modbus over Serial Line §2.4.1). Frames are taken 8 bytes at a time, which both requests are.
/// </summary>
internal sealed class ModbusRelayModule : IDisposable
{
    public const byte Unit = 1;
    private readonly bool[] _coils = new bool[8];
    private readonly List<byte> _pending = new();
    private readonly BenchOptions _options;
    private readonly Action<int, bool> _switched;
    private readonly PtyPort _port;

    public ModbusRelayModule(string link, BenchOptions options, Action<int, bool> switched)
    {
        _options = options;
        _switched = switched;
        _port = new PtyPort(link, Received);
    }

    public bool Coil(int coil)
    {
        lock (_coils) return _coils[coil];
    }

    private void Received(byte[] bytes)
    {
        if (_options.Faults.Contains(BenchFault.RelaySilent)) return;
        lock (_pending)
        {
            _pending.AddRange(bytes);
            while (_pending.Count >= 8)
            {
                var frame = _pending.GetRange(0, 8).ToArray();
                if (!ModbusRtu.CrcIsValid(frame))
                {
                    // Out of step: drop a byte and look for a frame boundary again.
                    _pending.RemoveAt(0);
                    continue;
                }
                _pending.RemoveRange(0, 8);
                if (frame[0] != Unit) continue;
                var answer = Answer(frame);
                if (_options.Faults.Contains(BenchFault.ModbusCrc)) answer[^1] ^= 0x5A;
                _port.Write(answer);
            }
        }
    }

    private byte[] Answer(byte[] frame)
    {
        var function = frame[1];
        var address = frame[2] << 8 | frame[3];
        if (_options.Faults.Contains(BenchFault.ModbusException)) return ModbusRtu.WithCrc(Unit, (byte)(function | 0x80), 0x04);
        if (function is not (ModbusRtu.WriteSingleCoil or ModbusRtu.ReadCoils)) return ModbusRtu.WithCrc(Unit, (byte)(function | 0x80), 0x01);
        if (address >= _coils.Length) return ModbusRtu.WithCrc(Unit, (byte)(function | 0x80), 0x02);
        if (function == ModbusRtu.WriteSingleCoil)
        {
            var value = frame[4] << 8 | frame[5];
            if (value is not (0xFF00 or 0x0000)) return ModbusRtu.WithCrc(Unit, (byte)(function | 0x80), 0x03);
            lock (_coils) _coils[address] = value == 0xFF00;
            _switched(address, value == 0xFF00);
            return frame;
        }
        var count = frame[4] << 8 | frame[5];
        byte bits = 0;
        for (var i = 0; i < count && address + i < _coils.Length; i++)
            if (Coil(address + i)) bits |= (byte)(1 << i);
        return ModbusRtu.WithCrc(Unit, ModbusRtu.ReadCoils, 1, bits);
    }

    public void Dispose() => _port.Dispose();
}
