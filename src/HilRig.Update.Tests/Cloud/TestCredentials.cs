using HilRig.Cloud;
using HilRig.Testing;

namespace HilRig.Update.Tests.Cloud;

/// <summary>A unit's credentials from a throwaway cloud data directory, for tests that need a CM but no cloud.</summary>
internal static class TestCredentials
{
    /// <summary>Enrolls <paramref name="unitId"/> with a fresh CA; returns the directory with unit.crt, unit.key and ca.crt.</summary>
    public static string Enroll(string unitId)
    {
        var root = RepoPaths.NewTempDirectory("credentials");
        CloudEnrollment.EnrollAsync(new CloudDataDirectory(Path.Combine(root, "cloud")), unitId, Path.Combine(root, unitId), DateTimeOffset.UtcNow).GetAwaiter().GetResult();
        return Path.Combine(root, unitId);
    }
}
