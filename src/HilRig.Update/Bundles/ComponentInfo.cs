namespace HilRig.Update.Bundles;

/// <summary>
/// One entry of <c>components[]</c> (seed 001). <see cref="Sha256"/>, <see cref="Sha512"/> and <see cref="Size"/>
/// describe the payload as downloaded (encrypted), so integrity is checked before decryption starts.
/// </summary>
public sealed record ComponentInfo(
    string Id,
    string Version,
    string? Description,
    string? AnnotationsJson,
    IReadOnlyList<string> Urls,
    byte[] Sha256,
    byte[] Sha512,
    long Size)
{
    public string Sha256Hex => Convert.ToHexStringLower(Sha256);
    public string Sha512Hex => Convert.ToHexStringLower(Sha512);
}
