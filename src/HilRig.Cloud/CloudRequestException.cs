namespace HilRig.Cloud;

/// <summary>A request the cloud refuses, with the HTTP status to answer and a message naming what was wrong.</summary>
public sealed class CloudRequestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
