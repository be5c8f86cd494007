namespace HilRig.Cloud.Security;

/// <summary>
/// Who may call a route, and how large its request body may be: endpoint metadata every route of the cloud carries.
/// A route without it is refused (fail closed), so a new route cannot be left open by forgetting.
/// </summary>
public sealed record CloudAccess(bool Units, OperatorRole Roles, long BodyLimit)
{
    /// <summary>Bodies of the JSON routes: a check-in or a group is a few hundred bytes.</summary>
    public const long SmallBody = 4 * 1024;

    /// <summary>A result report carries a failure's detail text.</summary>
    public const long ReportBody = 64 * 1024;

    /// <summary>Uploads are whole bundles: a rootfs image fits.</summary>
    public const long UploadBody = 4L * 1024 * 1024 * 1024;

    /// <summary>A unit, by its client certificate (it acts only as itself: the route checks the id it names).</summary>
    public static CloudAccess Unit(long bodyLimit = SmallBody) => new(true, OperatorRole.None, bodyLimit);

    /// <summary>An operator whose token holds one of <paramref name="roles"/>.</summary>
    public static CloudAccess Operator(OperatorRole roles, long bodyLimit = SmallBody) => new(false, roles, bodyLimit);

    /// <summary>A unit by its certificate, or an operator with one of <paramref name="roles"/>.</summary>
    public static CloudAccess UnitOrOperator(OperatorRole roles) => new(true, roles, SmallBody);

    /// <summary>Reading: any operator role.</summary>
    public const OperatorRole Readers = OperatorRole.All;

    public string Describe() =>
        string.Join(" or ", new[] { Units ? "a unit certificate" : null, Roles != OperatorRole.None ? Roles == OperatorRole.All ? "a token with any role (oem, operator or viewer)" : $"a token with role {OperatorRoles.Format(Roles).Replace(",", " or ")}" : null }.OfType<string>());
}

/// <summary>Who made a request, once <see cref="CloudAccessMiddleware"/> has let it through.</summary>
public abstract record CloudCaller
{
    public abstract string Describe();
}

/// <summary>A unit, by the certificate it presented.</summary>
public sealed record UnitCaller(string UnitId, string Serial) : CloudCaller
{
    public override string Describe() => $"unit '{UnitId}' (certificate {Serial})";
}

/// <summary>An operator, by the id of the token it presented.</summary>
public sealed record OperatorCaller(string TokenId, string Name, OperatorRole Roles) : CloudCaller
{
    public override string Describe() => $"token {TokenId} ('{Name}', {OperatorRoles.Format(Roles)})";
}
