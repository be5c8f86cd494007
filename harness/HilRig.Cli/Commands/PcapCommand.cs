using System.CommandLine;
using System.Text.Json;
using HilRig.Capture;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Cli.Output;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig pcap show FILE [--json]</c>: the decoded events of any pcap or pcapng capture, so a capture
/// taken at a customer's site reads the same way as one from SimNet. With --json, one object per line.
/// </summary>
public static class PcapCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "a pcap or pcapng capture" };
        var json = CommonOptions.Json();
        var http2Ports = new Option<ushort[]>("--http2-port") { Description = "TCP ports to decode as HTTP/2 even without a captured connection preface", AllowMultipleArgumentsPerToken = true };
        var show = new Command("show", "Print the decoded protocol events of a capture") { file, json, http2Ports };
        show.SetAction((parse, _) => Loading.GuardAsync(() => Task.FromResult(Show(parse.GetValue(file)!, parse.GetValue(json), parse.GetValue(http2Ports) ?? []))));
        return new Command("pcap", "Read packet captures") { show };
    }

    private static int Show(string path, bool json, ushort[] http2Ports)
    {
        if (!File.Exists(path)) throw new Loading.UsageException($"{path}: no such capture file");
        var decoder = new CaptureDecoder(new DecoderOptions { Http2Ports = [.. http2Ports] });
        var events = new List<DecodedEvent>();
        using var stdout = Console.OpenStandardOutput();
        using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        try
        {
            using var reader = CaptureFile.Open(path);
            while (reader.TryReadNext(out var frame))
            {
                events.Clear();
                decoder.Decode(frame, events);
                foreach (var e in events)
                {
                    if (json)
                    {
                        e.WriteJson(writer);
                        writer.Flush();
                        writer.Reset();
                        stdout.WriteByte((byte)'\n');
                    }
                    else Terminal.Line(e.ToString());
                }
            }
            return ExitCodes.Passed;
        }
        catch (CaptureFormatException e)
        {
            throw new Loading.UsageException(e.Message);
        }
    }
}
