using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using HilRig.Cli.Output;
using HilRig.Capture;
using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Link;
using HilRig.Capture.Events;
using HilRig.Capture.Files;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig pcap show FILE [--json] [--http2-port P…] [--verify-checksums] [--tls-keys KEYLOG…]</c>: the decoded events of any pcap or pcapng capture, so a capture
/// taken at a customer's site reads the same way as one from SimNet. With --json, one object per line.
/// </summary>
/// <remarks>
/// Streams: one frame is read, decoded and written at a time, so memory does not grow with the capture. Output goes
/// through one buffer written to stdout in large blocks (a write per event made a 100k-packet capture spend its time
/// in syscalls); the buffer only ever holds whole lines. A capture that breaks its format part-way prints the events
/// of every complete frame before the break, then the error with its byte offset on stderr, and exits 2.
/// </remarks>
public static class PcapCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "a pcap or pcapng capture" };
        var json = CommonOptions.Json();
        var http2Ports = new Option<ushort[]>("--http2-port") { Description = "TCP ports to decode as HTTP/2 even without a captured connection preface", AllowMultipleArgumentsPerToken = true };
        var verifyChecksums = new Option<bool>("--verify-checksums")
        {
            Description = "check IPv4, TCP and UDP checksums and drop bad packets as their receiver would (checksums left to the NIC pass)",
        };
        var tlsKeys = new Option<string[]>("--tls-keys")
        {
            Description = "key log files (SSLKEYLOGFILE format) whose TLS 1.3 secrets decrypt the capture's TLS connections",
            AllowMultipleArgumentsPerToken = true,
        };
        var show = new Command("show", "Print the decoded protocol events of a capture") { file, json, http2Ports, verifyChecksums, tlsKeys };
        show.SetAction((parse, _) => Loading.GuardAsync(() => Task.FromResult(Show(parse.GetValue(file)!, parse.GetValue(json), parse.GetValue(http2Ports) ?? [],
            parse.GetValue(verifyChecksums), parse.GetValue(tlsKeys) ?? []))));
        return new Command("pcap", "Read packet captures") { show };
    }

    private static int Show(string path, bool json, ushort[] http2Ports, bool verifyChecksums, string[] tlsKeys)
    {
        if (!File.Exists(path)) throw new Loading.UsageException($"{path}: no such capture file");
        foreach (var keys in tlsKeys)
            if (!File.Exists(keys)) throw new Loading.UsageException($"--tls-keys {keys}: no such key log file");
        var decoder = new CaptureDecoder(new DecoderOptions
        {
            Http2Ports = [.. http2Ports],
            VerifyChecksums = verifyChecksums,
            TlsKeys = Capture.Decoding.Tls.TlsKeyLog.Load(tlsKeys),
        });
        var events = new List<DecodedEvent>();
        using var output = new EventOutput(Console.OpenStandardOutput(), json, flushEveryFrame: !Console.IsOutputRedirected);
        try
        {
            using var reader = CaptureFile.Open(path);
            while (reader.TryReadNext(out var frame))
            {
                if (!LinkLayer.IsSupported(frame.LinkType))
                    throw new Loading.UsageException(
                        $"{path}: frame {reader.FrameCount} (byte offset {reader.FrameOffset}) has link type {(ushort)frame.LinkType}, which this decoder does not know ({LinkLayer.SupportedList})");
                events.Clear();
                decoder.Decode(frame, events);
                output.Write(events);
            }
            events.Clear();
            decoder.Finish(events);
            output.Write(events);
            return ExitCodes.Passed;
        }
        catch (CaptureFormatException e)
        {
            throw new Loading.UsageException(e.Message);
        }
        finally
        {
            // Whole lines only: the events of every frame decoded before an error, then the error on stderr.
            output.Flush();
        }
    }

    /// <summary>Events as lines into one reused buffer, written out in blocks of whole lines.</summary>
    private sealed class EventOutput : IDisposable
    {
        private const int BlockSize = 64 * 1024;
        private readonly Stream _stdout;
        private readonly bool _json;
        private readonly bool _flushEveryFrame;
        private readonly ArrayBufferWriter<byte> _buffer = new(BlockSize * 2);
        private readonly Utf8JsonWriter _writer;
        public EventOutput(Stream stdout, bool json, bool flushEveryFrame)
        {
            _stdout = stdout;
            _json = json;
            _flushEveryFrame = flushEveryFrame;
            _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JsonText.Encoder });
        }

        public void Write(List<DecodedEvent> events)
        {
            foreach (var e in events)
            {
                if (_json)
                {
                    e.WriteJson(_writer);
                    _writer.Flush();
                    _writer.Reset();
                }
                else
                {
                    var text = e.ToString();
                    var span = _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
                    _buffer.Advance(Encoding.UTF8.GetBytes(text, span));
                }
                _buffer.GetSpan(1)[0] = (byte)'\n';
                _buffer.Advance(1);
            }
            if (_buffer.WrittenCount >= BlockSize || (_flushEveryFrame && _buffer.WrittenCount > 0)) Flush();
        }

        /// <summary>
        /// Writes the buffered lines. (The console stream drops EPIPE, so a reader that closes early — `| head` — is no
        /// error here.)
        /// </summary>
        public void Flush()
        {
            if (_buffer.WrittenCount == 0) return;
            _stdout.Write(_buffer.WrittenSpan);
            _stdout.Flush();
            _buffer.ResetWrittenCount();
        }

        public void Dispose()
        {
            _writer.Dispose();
            _stdout.Dispose();
        }
    }
}
