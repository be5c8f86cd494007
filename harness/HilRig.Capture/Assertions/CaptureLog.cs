using System.Text;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using HilRig.Capture.Files;

namespace HilRig.Capture.Assertions;

/// <summary>Which frames of a SimNet capture to decode: SimNet records each frame entering the switch (inbound) and each delivery (outbound).</summary>
public enum DirectionView
{
    /// <summary>Every frame regardless of direction (a plain tcpdump capture has no directions).</summary>
    All,
    /// <summary>What hosts sent: each frame once, before impairment.</summary>
    Sent,
    /// <summary>What the switch delivered to hosts, after impairment.</summary>
    Delivered,
}

/// <summary>
/// The decoded events of one capture plus the names of the hosts in it: what capture assertions read,
/// and what a failing assertion quotes from (<see cref="Excerpt"/>) and attaches (<see cref="PcapPath"/>).
/// </summary>
public sealed class CaptureLog
{
    public CaptureLog(string pcapPath, IReadOnlyList<DecodedEvent> events, HostDirectory hosts)
    {
        PcapPath = pcapPath;
        Events = events;
        Hosts = hosts;
    }

    public string PcapPath { get; }

    public IReadOnlyList<DecodedEvent> Events { get; }

    public HostDirectory Hosts { get; }

    /// <param name="length">Where to stop reading a capture that is still being written: what its writer's Flush returned.</param>
    public static CaptureLog Load(string pcapPath, HostDirectory? hosts = null, DecoderOptions? options = null, DirectionView view = DirectionView.All,
        long length = long.MaxValue)
    {
        var decoder = new CaptureDecoder(options);
        var events = new List<DecodedEvent>();
        using (var reader = CaptureFile.Open(pcapPath, length))
        {
            while (reader.TryReadNext(out var frame))
            {
                var keep = view switch
                {
                    DirectionView.Sent => frame.Direction != FrameDirection.Outbound,
                    DirectionView.Delivered => frame.Direction != FrameDirection.Inbound,
                    _ => true,
                };
                if (keep) decoder.Decode(frame, events);
                else decoder.Skip();
            }
        }
        // No decoder.Finish: the capture may still be growing (CaptureLogCache reloads a scenario's live capture), and
        // Finish would report every TCP gap open at its end as bytes missing, though the next frames written may fill it.
        return new CaptureLog(pcapPath, events, hosts ?? new HostDirectory());
    }

    public IEnumerable<DecodedEvent> From(string host) => Events.Where(e => Hosts.Is(e.Source, host));

    public IEnumerable<DecodedEvent> To(string host) => Events.Where(e => Hosts.Is(e.Destination, host));

    /// <summary>Readable lines of the events around <paramref name="frame"/> (marked with ▶), for failure reports.</summary>
    public string Excerpt(long frame, int around = 6)
    {
        var index = Events.Count - 1;
        for (var i = 0; i < Events.Count; i++)
        {
            if (Events[i].Frame < frame) continue;
            index = i;
            break;
        }
        return Excerpt(Math.Max(0, index - around), Math.Min(Events.Count, index + around + 1), frame);
    }

    /// <summary>Readable lines of events in [start, end) by index.</summary>
    public string Excerpt(int start, int end, long? mark = null)
    {
        var sb = new StringBuilder();
        if (start > 0) sb.AppendLine($"  … {start} earlier events");
        for (var i = start; i < end && i < Events.Count; i++)
        {
            var e = Events[i];
            sb.Append(e.Frame == mark ? "▶ " : "  ")
              .Append($"#{e.Frame} {e.Time:HH:mm:ss.ffffff} {Hosts.Describe(e.Source)} → {Hosts.Describe(e.Destination)} {e.Protocol} {e.Summary}")
              .AppendLine();
        }
        if (end < Events.Count) sb.AppendLine($"  … {Events.Count - end} later events");
        return sb.ToString();
    }
}
