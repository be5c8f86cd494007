using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace HilRig.Capture.Decoding.Grpc;

/// <summary>
/// Maps a gRPC method path ("/package.Service/Method") to the protobuf types of its request and response,
/// so a capture decodes into our own message classes (e.g. CMMessages) instead of raw bytes.
/// </summary>
public sealed class GrpcMessageRegistry
{
    private readonly Dictionary<string, (MessageParser Request, MessageParser Response)> _methods = new(StringComparer.Ordinal);

    public void Register(string path, MessageParser request, MessageParser response)
    {
        if (!path.StartsWith('/') || path.IndexOf('/', 1) < 0)
            throw new ArgumentException($"gRPC method path '{path}' is not of the form /package.Service/Method", nameof(path));
        _methods[path] = (request, response);
    }

    public void Register<TRequest, TResponse>(string path)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>, new() =>
        Register(path, new MessageParser<TRequest>(() => new TRequest()), new MessageParser<TResponse>(() => new TResponse()));

    /// <summary>Registers every method of every service in a generated file (its <c>Descriptor</c> property).</summary>
    public void RegisterFile(FileDescriptor file)
    {
        foreach (var service in file.Services)
        foreach (var method in service.Methods)
            Register($"/{service.FullName}/{method.Name}", method.InputType.Parser, method.OutputType.Parser);
    }

    public IReadOnlyCollection<string> Paths => _methods.Keys;

    public MessageParser? Find(string? path, bool request) =>
        path is not null && _methods.TryGetValue(path, out var p) ? request ? p.Request : p.Response : null;
}
