using HilRig.Cloud.Security;

namespace HilRig.Cloud;

/// <summary>
/// <c>hilrig cloud enroll</c> and <c>hilrig cloud revoke</c>: issues a unit its client certificate from the cloud's CA —
/// <c>unit.crt</c>, <c>unit.key</c> and the CA as <c>ca.crt</c>, PEM — and records it, so the cloud can later refuse it
/// when it is revoked. Works on the data directory, with the cloud running or not.
/// </summary>
public static class CloudEnrollment
{
    public const string CertificateFile = "unit.crt";
    public const string KeyFile = "unit.key";
    public const string CaFile = "ca.crt";

    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(365);

    /// <summary>Issues and writes the unit's credentials to <paramref name="outDirectory"/>; returns the record.</summary>
    public static async Task<IssuedCertificate> EnrollAsync(CloudDataDirectory data, string unitId, string outDirectory,
        DateTimeOffset now, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var issued = (await IssueAsync(data, [unitId], now, notBefore, notAfter))[0];
        string caPem;
        using (var ca = data.EnsureCa(now)) caPem = ca.CertificatePem;
        var written = new List<string>();
        try
        {
            Directory.CreateDirectory(outDirectory);
            foreach (var (file, text, mode) in new[]
                     {
                         (KeyFile, issued.KeyPem, PemFiles.Secret),
                         (CertificateFile, issued.CertificatePem, PemFiles.Public),
                         (CaFile, caPem, PemFiles.Public),
                     })
            {
                var path = Path.Combine(outDirectory, file);
                PemFiles.Write(path, text, mode);
                written.Add(path);
            }
        }
        catch
        {
            // A unit directory with a key and no certificate (or the reverse) would only mislead.
            foreach (var path in written) File.Delete(path);
            throw;
        }
        return issued.Record;
    }

    /// <summary>
    /// Issues certificates for every unit id and records them all in one transaction; nothing is written to files (a
    /// fleet of simulated units keeps them in memory). Ids are checked before anything is issued.
    /// </summary>
    public static async Task<IReadOnlyList<IssuedUnitCertificate>> IssueAsync(CloudDataDirectory data, IReadOnlyList<string> unitIds,
        DateTimeOffset now, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        foreach (var id in unitIds)
            if (UnitIds.Problem(id) is { } problem) throw new ArgumentException($"unit id {problem}");
        var from = notBefore ?? now.AddHours(-1); // a unit's clock may be a little behind
        var until = notAfter ?? now + DefaultValidity;
        if (until <= from) throw new ArgumentException($"the certificate would end ({until:O}) before it starts ({from:O})");
        using var ca = data.EnsureCa(now);
        var issued = new IssuedUnitCertificate[unitIds.Count];
        Parallel.For(0, unitIds.Count, i => issued[i] = ca.IssueUnit(unitIds[i], from, until, now));
        using var store = new CloudStore(data.Database);
        await store.InTransactionAsync(s =>
        {
            foreach (var c in issued) s.AddUnitCertificate(c.Record);
            return true;
        });
        return issued;
    }

    /// <summary>Revokes every certificate issued to <paramref name="unitId"/>; returns them as they are now.</summary>
    public static async Task<IReadOnlyList<IssuedCertificate>> RevokeAsync(CloudDataDirectory data, string unitId, DateTimeOffset now)
    {
        using var store = new CloudStore(data.Database);
        return await store.InTransactionAsync(s =>
        {
            s.RevokeUnitCertificates(unitId, now);
            return s.UnitCertificates(unitId);
        });
    }
}
