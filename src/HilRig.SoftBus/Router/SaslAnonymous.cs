using System.Globalization;
using System.Text;

namespace HilRig.SoftBus.Router;

/// <summary>
/// The thin core's side of the router connect (ajtcl aj_connect.c AnonymousAuthAdvance), byte for byte:
/// <c>\0</c>, <c>AUTH ANONYMOUS\n</c> ← <c>OK &lt;router guid&gt;</c>; <c>INFORM_PROTO_VERSION 10\n</c> ←
/// <c>INFORM_PROTO_VERSION n</c>; <c>BEGIN &lt;32 hex guid&gt;\n</c>; then the BusHello call, whose reply names us.
/// Every line must come within <see cref="RouterTimers.LineTimeout"/> (3.5 s), the reply within
/// <see cref="RouterTimers.HelloTimeout"/> (5 s), both measured on the <see cref="TimeProvider"/>.
/// </summary>
public static class SaslAnonymous
{
    public const int MaxLine = 1024;

    /// <summary>What the router told us on a successful connect.</summary>
    public sealed record Result(string RouterGuid, int RouterProtocolVersion, string UniqueName);

    public static async Task<Result> ConnectAsync(Stream stream, string guid, int minimumProtocolVersion, RouterTimers timers, TimeProvider time, CancellationToken cancellation)
    {
        await WriteAsync(stream, "\0AUTH ANONYMOUS\n", cancellation);
        var ok = await ReadLineAsync(stream, timers.LineTimeout, time, "the reply to AUTH ANONYMOUS", cancellation);
        if (!ok.StartsWith("OK", StringComparison.Ordinal))
            throw new RouterConnectException(RouterConnectFailure.AuthRejected, $"router answered AUTH ANONYMOUS with '{Trim(ok)}'");
        var routerGuid = ok.Length > 3 ? ok[3..].Trim() : "";
        await WriteAsync(stream, $"INFORM_PROTO_VERSION {NameServiceQuery.AllJoynProtocolVersion}\n", cancellation);
        var inform = await ReadLineAsync(stream, timers.LineTimeout, time, "INFORM_PROTO_VERSION", cancellation);
        const string Tag = "INFORM_PROTO_VERSION ";
        if (!inform.StartsWith(Tag, StringComparison.Ordinal) || !int.TryParse(inform[Tag.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new RouterConnectException(RouterConnectFailure.ProtocolError, $"router answered INFORM_PROTO_VERSION with '{Trim(inform)}'");
        if (version < minimumProtocolVersion)
            throw new RouterConnectException(RouterConnectFailure.TooOld, $"router speaks protocol version {version}, below the minimum {minimumProtocolVersion}");
        await WriteAsync(stream, $"BEGIN {guid}\n", cancellation);
        var hello = new AllJoynMessage(AllJoynMessageType.MethodCall, 1)
        {
            Path = "/org/alljoyn/Bus", Interface = "org.alljoyn.Bus", Member = "BusHello", Destination = "org.alljoyn.Bus",
            Body = [guid, (uint)NameServiceQuery.AllJoynProtocolVersion],
        };
        await stream.WriteAsync(hello.Encode(), cancellation);
        await stream.FlushAsync(cancellation);
        using var deadline = new CancellationTokenSource(timers.HelloTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellation);
        try
        {
            var reply = await AllJoynMessage.ReadAsync(stream, linked.Token)
                        ?? throw new RouterConnectException(RouterConnectFailure.Silent, "router closed the connection before the BusHello reply");
            if (reply.Type != AllJoynMessageType.MethodReturn || reply.ReplySerial != hello.Serial || reply.Body.Count == 0 || reply.Body[0] is not string unique)
                throw new RouterConnectException(RouterConnectFailure.ProtocolError, $"BusHello answered by a {reply.Type} (reply serial {reply.ReplySerial}, signature '{reply.Signature}')");
            return new Result(routerGuid, version, unique);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new RouterConnectException(RouterConnectFailure.Silent, $"no BusHello reply within {timers.HelloTimeout.TotalSeconds:0.###} s");
        }
        catch (AllJoynFormatException e)
        {
            throw new RouterConnectException(RouterConnectFailure.ProtocolError, $"BusHello reply: {e.Message}", e);
        }
    }

    private static string Trim(string s) => s.Length > 60 ? s[..60] + "…" : s;

    private static async Task WriteAsync(Stream stream, string text, CancellationToken cancellation)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellation);
        await stream.FlushAsync(cancellation);
    }

    /// <summary>One line without its "\r\n" or "\n"; the deadline runs on <paramref name="time"/>.</summary>
    public static async Task<string> ReadLineAsync(Stream stream, TimeSpan timeout, TimeProvider time, string what, CancellationToken cancellation)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellation);
        var line = new List<byte>();
        var one = new byte[1];
        try
        {
            while (true)
            {
                if (await stream.ReadAsync(one, linked.Token) == 0)
                    throw new RouterConnectException(RouterConnectFailure.Silent, $"router closed the connection while we waited for {what}");
                if (one[0] == '\n') break;
                if (line.Count >= MaxLine) throw new RouterConnectException(RouterConnectFailure.ProtocolError, $"{what}: line longer than {MaxLine} bytes");
                line.Add(one[0]);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new RouterConnectException(RouterConnectFailure.Silent, $"no {what} within {timeout.TotalSeconds:0.###} s");
        }
        if (line.Count > 0 && line[^1] == '\r') line.RemoveAt(line.Count - 1);
        return Encoding.UTF8.GetString(line.ToArray());
    }
}
