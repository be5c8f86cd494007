using System.Security.Cryptography.X509Certificates;

namespace HilRig.Cloud.Security;

/// <summary>
/// Decides what a client certificate proves, once per TLS connection: that the cloud's CA issued it for a unit id
/// (the subject's common name), for client authentication, and that it is valid now. Whether it was revoked is asked
/// of the store on every request (<see cref="CloudAccessMiddleware"/>), so a revocation takes effect on open connections.
/// TLS itself has already checked that the client holds the certificate's private key.
/// </summary>
public sealed class UnitCertificateCheck(X509Certificate2 ca, TimeProvider time)
{
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>The unit the certificate names, or the reason it proves nothing (a 401 the unit's operator can act on).</summary>
    public UnitCertificateVerdict Check(X509Certificate2 certificate)
    {
        var now = time.GetUtcNow();
        var serial = certificate.SerialNumber;
        var subject = certificate.Subject;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        var built = chain.Build(certificate);
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        // A chain that ends anywhere but at this CA (another CA, or a self-signed certificate with this CA's name) was not issued here.
        var endsHere = chain.ChainElements.Count >= 2 && chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span);
        if (!endsHere || (flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid)) != 0)
            return UnitCertificateVerdict.Refused(serial, $"certificate '{subject}' (serial {serial}) was not issued by this cloud's CA ({ca.Subject}); enroll the unit with `hilrig cloud enroll`");
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
            var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
            return UnitCertificateVerdict.Refused(serial, now > notAfter
                ? $"certificate '{subject}' (serial {serial}) expired at {notAfter:O}; enroll the unit again"
                : $"certificate '{subject}' (serial {serial}) is not valid before {notBefore:O} (is the unit's clock right?)");
        }
        if (!built)
            return UnitCertificateVerdict.Refused(serial, $"certificate '{subject}' (serial {serial}) does not verify: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}");
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault() is not { } eku || eku.EnhancedKeyUsages[ClientAuth] is null)
            return UnitCertificateVerdict.Refused(serial, $"certificate '{subject}' (serial {serial}) is not for TLS client authentication");
        var unitId = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (UnitIds.Problem(unitId) is { } problem)
            return UnitCertificateVerdict.Refused(serial, $"certificate '{subject}' (serial {serial}) names no unit: common name {problem}");
        return UnitCertificateVerdict.Unit(unitId, serial);
    }
}

/// <summary>What a client certificate proved: a unit id and the certificate's serial, or why not.</summary>
public sealed record UnitCertificateVerdict(string? UnitId, string Serial, string? Refusal)
{
    public static UnitCertificateVerdict Unit(string unitId, string serial) => new(unitId, serial, null);

    public static UnitCertificateVerdict Refused(string serial, string reason) => new(null, serial, reason);
}

/// <summary>What a unit id (and a platform id, a group name) may be: 1 to 128 characters, no '/' and no control characters.</summary>
public static class UnitIds
{
    public static string? Problem(string? value) =>
        string.IsNullOrWhiteSpace(value) || value.Length > 128 || value.Any(char.IsControl) || value.Contains('/')
            ? $"'{value}' is not 1 to 128 characters without '/' or control characters"
            : null;
}
