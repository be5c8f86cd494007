using Microsoft.AspNetCore.Http;

namespace HilRig.Update.Cm;

/// <summary>
/// The CM's HTTP file server for UMs without shared storage (seed 001, Image deployment): serves
/// <c>/images/&lt;version&gt;/&lt;component&gt;</c> from the CM's image directory, with HTTP Range.
/// </summary>
public static class CmFileServer
{
    public static RequestDelegate Create(string imageDirectory)
    {
        // Results.File resolves a relative path against the web root, not the working directory.
        imageDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(imageDirectory));
        return async context =>
    {
        var segments = (context.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) ||
            segments.Length != 3 || segments[0] != "images" || !long.TryParse(segments[1], out _) ||
            segments[2].Contains("..") || segments[2].Contains('\\'))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        // Kestrel has decoded the path once; decoding again would turn %252e%252e%252f into ../ after the check above.
        var path = Path.GetFullPath(Path.Combine(imageDirectory, segments[1], segments[2]));
        if (!path.StartsWith(imageDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await Results.File(path, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
    };
    }
}
