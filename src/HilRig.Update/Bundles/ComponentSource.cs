namespace HilRig.Update.Bundles;

/// <summary>A file to put into a bundle as one component.</summary>
public sealed record ComponentSource(string Id, string Version, string Path, string? Description = null, string? AnnotationsJson = null)
{
    /// <summary>
    /// Parses the command-line form <c>[ID[@VERSION]=]PATH</c>; without an id the file name up to its first dot is used,
    /// without a version "1.0".
    /// </summary>
    public static ComponentSource Parse(string argument)
    {
        var eq = argument.IndexOf('=');
        if (eq < 0)
        {
            var name = System.IO.Path.GetFileName(argument);
            var dot = name.IndexOf('.');
            return new ComponentSource(dot > 0 ? name[..dot] : name, "1.0", argument);
        }
        var head = argument[..eq];
        var path = argument[(eq + 1)..];
        var at = head.IndexOf('@');
        return at < 0 ? new ComponentSource(head, "1.0", path) : new ComponentSource(head[..at], head[(at + 1)..], path);
    }
}
