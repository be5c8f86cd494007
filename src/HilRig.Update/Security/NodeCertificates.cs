using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HilRig.Update.Security;

/// <summary>
/// What the CM↔UM channel checks in a peer's certificate: that it chains to the unit's node CA (and only to it: the
/// machine's trust store plays no part), is within its validity period, and may be used for the peer's side of the
/// connection (serverAuth for the CM, clientAuth for a UM). Each check that fails says which, for the log and for
/// <c>cm status</c>.
/// </summary>
public static class NodeCertificates
{
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>The node a certificate is for: its subject common name.</summary>
    public static string? NodeIdOf(X509Certificate2 certificate) =>
        certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } cn ? cn : null;

    /// <summary>Null when <paramref name="certificate"/> is a valid node certificate of this unit for <paramref name="usage"/>; otherwise why not.</summary>
    public static string? Problem(X509Certificate2? certificate, X509Certificate2 ca, Oid usage, DateTimeOffset now)
    {
        if (certificate is null) return "no certificate presented";
        var who = $"certificate '{certificate.Subject}' (serial {certificate.SerialNumber})";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(usage);
        if (!chain.Build(certificate))
        {
            var reasons = chain.ChainStatus.Select(s => s.Status).Distinct().ToList();
            if (reasons.Contains(X509ChainStatusFlags.NotTimeValid))
                return $"{who} is not valid now (valid {certificate.NotBefore.ToUniversalTime():O} to {certificate.NotAfter.ToUniversalTime():O})";
            if (reasons.Contains(X509ChainStatusFlags.NotValidForUsage))
                return $"{who} is not for {(usage.Value == ServerAuth.Value ? "a CM (serverAuth)" : "a UM (clientAuth)")}";
            if (reasons.Contains(X509ChainStatusFlags.UntrustedRoot) || reasons.Contains(X509ChainStatusFlags.PartialChain))
                return $"{who} is not issued by this unit's node CA '{ca.Subject}'";
            return $"{who}: {string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct())}";
        }
        // A chain may end at a root the policy trusts only because it is the one we gave; it must be that very CA.
        if (!chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span))
            return $"{who} is not issued by this unit's node CA '{ca.Subject}'";
        return NodeIdOf(certificate) is null ? $"{who} names no node (no CN)" : null;
    }
}
