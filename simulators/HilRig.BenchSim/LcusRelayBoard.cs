using System.Text;

namespace HilRig.BenchSim;

/// <summary>
/// A simulated LCUS-2 USB relay board: takes <c>A0 ch state sum</c> frames (ignoring a frame whose sum is wrong, as the
/// real boards do, and answering nothing) and answers the status query <c>FF</c> with <c>CH1:ON\r\nCH2:OFF\r\n</c>.
/// </summary>
internal sealed class LcusRelayBoard : IDisposable
{
    private readonly bool[] _channels = new bool[2];
    private readonly List<byte> _pending = new();
    private readonly BenchOptions _options;
    private readonly Action<int, bool> _switched;
    private readonly PtyPort _port;

    public LcusRelayBoard(string link, BenchOptions options, Action<int, bool> switched)
    {
        _options = options;
        _switched = switched;
        _port = new PtyPort(link, Received);
    }

    public bool Channel(int channel)
    {
        lock (_channels) return _channels[channel - 1];
    }

    private void Received(byte[] bytes)
    {
        if (_options.Faults.Contains(BenchFault.RelaySilent)) return;
        lock (_pending)
        {
            _pending.AddRange(bytes);
            while (_pending.Count > 0)
            {
                if (_pending[0] == 0xFF)
                {
                    _pending.RemoveAt(0);
                    _port.Write(_options.Faults.Contains(BenchFault.LcusGarbage)
                        ? [0x13, 0x37, 0xC4, 0x0F]
                        : Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, _channels.Length).Select(c => $"CH{c}:{(Channel(c) ? "ON" : "OFF")}\r\n"))));
                    continue;
                }
                if (_pending[0] != 0xA0)
                {
                    _pending.RemoveAt(0);
                    continue;
                }
                if (_pending.Count < 4) return;
                var (channel, state, sum) = (_pending[1], _pending[2], _pending[3]);
                _pending.RemoveRange(0, 4);
                if ((byte)(0xA0 + channel + state) != sum || channel < 1 || channel > _channels.Length || state > 1) continue;
                lock (_channels) _channels[channel - 1] = state == 1;
                _switched(channel, state == 1);
            }
        }
    }

    public void Dispose() => _port.Dispose();
}
