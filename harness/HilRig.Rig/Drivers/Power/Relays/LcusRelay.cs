using System.Text;
using System.Text.RegularExpressions;

namespace HilRig.Rig.Drivers.Power.Relays;

/// <summary>
/// An LCUS-type USB relay board (CH340 serial, 9600 baud). A switch is four bytes, <c>A0 ch state sum</c>, where
/// sum = A0 + ch + state (mod 256); the boards do not acknowledge it. Boards with more than one channel answer the
/// status query <c>FF</c> with lines <c>CH1:ON</c> / <c>CH2:OFF</c>, which is how a switch is verified.
/// </summary>
public sealed partial class LcusRelay(SerialTransport transport, int channel, bool verify) : IPowerSwitch
{
    public const byte Start = 0xA0;
    public const byte StatusQuery = 0xFF;

    public string Description => $"relay_power (lcus, {transport.PortName} channel {channel})";

    /// <summary>The switch frame for a channel and state.</summary>
    public static byte[] Frame(int channel, bool on)
    {
        var state = (byte)(on ? 1 : 0);
        return [Start, (byte)channel, state, (byte)(Start + channel + state)];
    }

    public async Task SetAsync(bool on, CancellationToken cancellation = default)
    {
        await transport.WriteAsync(Frame(channel, on), cancellation);
        if (!verify) return;
        var state = await ReadAsync(cancellation);
        if (state != on)
            throw new PowerSwitchException($"{Description}: switched {(on ? "on" : "off")}, but the relay reports channel {channel} {(state == true ? "ON" : "OFF")}");
    }

    public async Task<bool?> ReadAsync(CancellationToken cancellation = default)
    {
        await transport.WriteAsync([StatusQuery], cancellation);
        var pattern = ChannelPattern(channel);
        var answer = await transport.ReadUntilAsync(bytes => pattern.IsMatch(Encoding.ASCII.GetString(bytes)), cancellation);
        var text = Encoding.ASCII.GetString(answer);
        var match = pattern.Match(text);
        if (match.Success) return match.Groups["state"].Value == "ON";
        throw new PowerSwitchException(answer.Length == 0
            ? $"{Description}: the relay did not answer the status query (FF) within {transport.Timeout.TotalSeconds:0.###} s (a one-channel board cannot: set verify: false)"
            : $"{Description}: the relay answered the status query with {Show(answer)}, not CH{channel}:ON|OFF");
    }

    private static Regex ChannelPattern(int channel) => new($@"CH{channel}:(?<state>ON|OFF)\r?\n");

    internal static string Show(byte[] bytes) =>
        bytes.All(b => b is >= 0x20 and < 0x7F or (byte)'\r' or (byte)'\n')
            ? "\"" + Encoding.ASCII.GetString(bytes).Replace("\r", "\\r").Replace("\n", "\\n") + "\""
            : Convert.ToHexString(bytes).ToLowerInvariant() is var hex ? string.Join(' ', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2))) : "";

    public ValueTask DisposeAsync()
    {
        transport.Dispose();
        return ValueTask.CompletedTask;
    }
}
