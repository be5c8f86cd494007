namespace HilRig.Cloud.Security;

/// <summary>What an operator token allows (issue 13): each role is a set of routes, and a token may hold several.</summary>
[Flags]
public enum OperatorRole
{
    None = 0,

    /// <summary>The OEM: uploads images and deletes the latest.</summary>
    Oem = 1,

    /// <summary>Runs the fleet: groups and their target versions, a unit's group, manual triggers.</summary>
    Operator = 2,

    /// <summary>Reads: the dashboard, units, images and results.</summary>
    Viewer = 4,

    All = Oem | Operator | Viewer,
}

/// <summary>Role names as operators type them (<c>oem</c>, <c>operator</c>, <c>viewer</c>, comma-separated).</summary>
public static class OperatorRoles
{
    public static readonly IReadOnlyList<(string Name, OperatorRole Role)> Names = [("oem", OperatorRole.Oem), ("operator", OperatorRole.Operator), ("viewer", OperatorRole.Viewer)];

    /// <summary>Parses <c>oem,viewer</c>; an unknown name is an <see cref="ArgumentException"/> listing the known ones.</summary>
    public static OperatorRole Parse(string text)
    {
        var roles = OperatorRole.None;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var match = Names.FirstOrDefault(n => string.Equals(n.Name, part, StringComparison.OrdinalIgnoreCase));
            if (match.Name is null)
                throw new ArgumentException($"unknown role '{part}' (roles: {string.Join(", ", Names.Select(n => n.Name))})");
            roles |= match.Role;
        }
        if (roles == OperatorRole.None) throw new ArgumentException($"no role given (roles: {string.Join(", ", Names.Select(n => n.Name))})");
        return roles;
    }

    public static string Format(OperatorRole roles) =>
        string.Join(',', Names.Where(n => roles.HasFlag(n.Role)).Select(n => n.Name));
}
