namespace HilRig.Update.Grpc;

/// <summary>Header names and values of gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md).</summary>
public static class GrpcHeaders
{
    public const string ContentType = "application/grpc";
    public const string Status = "grpc-status";
    public const string Message = "grpc-message";
    public const string Encoding = "grpc-encoding";
    public const string TE = "te";
    public const string Trailers = "trailers";

    /// <summary><c>application/grpc</c> or <c>application/grpc+proto</c> / <c>;charset…</c>: the only request content types served.</summary>
    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null &&
        contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase) &&
        (contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';');
}
