namespace HilRig.Capture.Decoding.Http2;

/// <summary>
/// A header block that HPACK cannot decode. RFC 7540 §4.3 makes this a connection error of type
/// COMPRESSION_ERROR; the capture decoder stops decoding that direction of the connection.
/// </summary>
public sealed class HpackException(string message, long offset) : ProtocolViolationException("hpack", message, offset);
