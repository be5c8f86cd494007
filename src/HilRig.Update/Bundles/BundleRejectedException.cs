namespace HilRig.Update.Bundles;

/// <summary>A bundle refused before anything of it is used; <see cref="Reason"/> is what the cloud is told.</summary>
public sealed class BundleRejectedException : Exception
{
    public BundleRejectedException(BundleRejection reason, string message, Exception? inner = null)
        : base($"{ToWire(reason)}: {message}", inner)
    {
        Reason = reason;
        Detail = message;
    }

    public BundleRejection Reason { get; }

    /// <summary>The message without the reason prefix.</summary>
    public string Detail { get; }

    /// <summary>The reason as reported on the wire: <c>sha256-mismatch</c>, <c>unknown-key</c>, ….</summary>
    public static string ToWire(BundleRejection reason)
    {
        var name = reason.ToString();
        var chars = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) chars.Append('-');
            chars.Append(char.ToLowerInvariant(name[i]));
        }
        return chars.ToString();
    }
}
