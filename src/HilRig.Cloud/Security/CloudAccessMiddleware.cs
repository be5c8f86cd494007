using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace HilRig.Cloud.Security;

/// <summary>
/// Runs before every route: holds the request body to the route's limit, finds out who is calling — a unit by its
/// client certificate, an operator by its bearer token — and lets the request through only if the route's
/// <see cref="CloudAccess"/> admits that caller. A refusal is a <see cref="CloudRequestException"/> (401: no or bad
/// credentials, 403: the wrong ones, 413: too large) that the cloud answers, and logs, before anything is read or written.
/// </summary>
public sealed class CloudAccessMiddleware(CloudStore store, UnitCertificateCheck certificates, TimeProvider time)
{
    /// <summary>Bodies up to this size are read into memory here, so an over-long one is refused before any handler sees it.</summary>
    private const long BufferedBodyLimit = 1024 * 1024;

    private static readonly object VerdictKey = new();

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint() is not { } endpoint)
        {
            await next(context);
            return;
        }
        var access = endpoint.Metadata.GetMetadata<CloudAccess>()
            ?? throw new CloudRequestException(StatusCodes.Status500InternalServerError, $"{Route(context)} has no access rule; the cloud refuses it");
        var caller = await AuthenticateAsync(context, access);
        context.Features.Set(caller);
        await LimitBodyAsync(context, access.BodyLimit);
        await next(context);
    }

    /// <summary>The unit a unit route was called by: it may act only as itself.</summary>
    public static void RequireSelf(HttpContext context, string? claimedUnitId, string what)
    {
        if (context.Features.Get<CloudCaller>() is UnitCaller unit && !string.Equals(unit.UnitId, claimedUnitId, StringComparison.Ordinal))
            throw new CloudRequestException(StatusCodes.Status403Forbidden,
                $"the client certificate is for unit '{unit.UnitId}', the {what} is for unit '{claimedUnitId}': a unit acts only as itself");
    }

    private async Task<CloudCaller> AuthenticateAsync(HttpContext context, CloudAccess access)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var certificate = context.Connection.ClientCertificate;
        if (access.Roles != OperatorRole.None && authorization.Length > 0)
            return await OperatorAsync(context, access, authorization);
        if (access.Units && certificate is not null)
            return await UnitAsync(context, certificate);
        if (access.Roles == OperatorRole.None)
            throw Unauthorized(context, null, authorization.Length > 0
                ? $"{Route(context)} is for units: present the unit's client certificate, not a token"
                : $"{Route(context)} needs the unit's client certificate (from `hilrig cloud enroll`); none was presented");
        throw Unauthorized(context, "", $"{Route(context)} needs `Authorization: Bearer <token>` for {access.Describe()}");
    }

    private async Task<CloudCaller> OperatorAsync(HttpContext context, CloudAccess access, string authorization)
    {
        const string scheme = "Bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw Unauthorized(context, "invalid_request", $"the Authorization header is not '{scheme}<token>'");
        var token = authorization[scheme.Length..].Trim();
        if (OperatorToken.IdOf(token, out var problem) is not { } id)
            throw Unauthorized(context, "invalid_token", $"malformed token: {problem}");
        var stored = await store.ReadAsync(s => s.Token(id));
        if (stored is null || !OperatorToken.Matches(token, stored))
            throw Unauthorized(context, "invalid_token", $"token {id} is not one this cloud issued");
        if (stored.RevokedAt is { } revoked)
            throw Unauthorized(context, "invalid_token", $"token {id} ('{stored.Name}') was revoked at {revoked:O}");
        var caller = new OperatorCaller(id, stored.Name, stored.Roles);
        if ((stored.Roles & access.Roles) == 0)
        {
            context.Features.Set<CloudCaller>(caller);
            throw new CloudRequestException(StatusCodes.Status403Forbidden,
                $"token {id} ('{stored.Name}') has role {OperatorRoles.Format(stored.Roles)}; {Route(context)} needs {access.Describe()}");
        }
        return caller;
    }

    private async Task<CloudCaller> UnitAsync(HttpContext context, X509Certificate2 certificate)
    {
        // The certificate cannot change within a TLS connection: check it once per connection.
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items?.TryGetValue(VerdictKey, out var cached) != true || cached is not UnitCertificateVerdict verdict)
        {
            verdict = certificates.Check(certificate);
            if (items is not null) items[VerdictKey] = verdict;
        }
        if (verdict.Refusal is { } refusal) throw Unauthorized(context, null, refusal);
        var unitId = verdict.UnitId!;
        // Read on every request, not cached with the verdict: `hilrig cloud revoke` (another process) takes effect at once.
        var issued = await store.QueryAsync(s => s.UnitCertificate(verdict.Serial));
        if (issued is null || issued.UnitId != unitId)
            throw Unauthorized(context, null, $"certificate {verdict.Serial} of unit '{unitId}' is not in this cloud's records of issued certificates; enroll the unit again");
        if (issued.RevokedAt is { } revoked)
            throw Unauthorized(context, null, $"certificate {verdict.Serial} of unit '{unitId}' was revoked at {revoked:O}; enroll the unit again");
        if (time.GetUtcNow() > issued.NotAfter)
            throw Unauthorized(context, null, $"certificate {verdict.Serial} of unit '{unitId}' expired at {issued.NotAfter:O}; enroll the unit again");
        return new UnitCaller(unitId, verdict.Serial);
    }

    private static async Task LimitBodyAsync(HttpContext context, long limit)
    {
        var request = context.Request;
        if (request.ContentLength > limit)
            throw TooLarge(context, $"request body of {request.ContentLength} bytes is over the {limit}-byte limit of {Route(context)}");
        if (limit > BufferedBodyLimit)
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } max) max.MaxRequestBodySize = limit;
            return;
        }
        // A small body is read whole below, never more than one byte past the limit, and that count decides. Kestrel's
        // limit is left alone for it: set to the route's limit, Kestrel refused a chunked body of exactly the limit
        // (a 4,096-byte check-in got 413 after 3,977 bytes; test ChunkedBody_OfExactlyTheLimit_Accepted_OneByteMore_413).
        // Read a small body whole (one byte past the limit tells): a chunked body over the limit is refused here too.
        // Into a pooled buffer, given back when the request ends: a fresh one per check-in was most of its allocation.
        var buffer = ArrayPool<byte>.Shared.Rent((int)limit + 1);
        context.Response.RegisterForDispose(new Returned(buffer));
        var length = 0;
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(buffer.AsMemory(length, (int)limit + 1 - length), context.RequestAborted)) > 0)
            {
                length += n;
                if (length > limit) throw TooLarge(context, $"request body is over the {limit}-byte limit of {Route(context)}");
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel counted first (the limit set above): the same answer.
            throw TooLarge(context, $"request body is over the {limit}-byte limit of {Route(context)}");
        }
        request.Body = new MemoryStream(buffer, 0, length, writable: false);
    }

    /// <summary>Gives a pooled body buffer back to the pool.</summary>
    private sealed class Returned(byte[] buffer) : IDisposable
    {
        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }

    private static string Route(HttpContext context) => $"{context.Request.Method} {context.Request.Path}";

    private static CloudRequestException TooLarge(HttpContext context, string reason) => new(StatusCodes.Status413PayloadTooLarge, reason);

    /// <summary>A 401; for operator routes with the RFC 6750 challenge (<paramref name="bearerError"/>: "" for none, null for a unit route).</summary>
    private static CloudRequestException Unauthorized(HttpContext context, string? bearerError, string reason)
    {
        if (bearerError is not null)
            context.Response.Headers.WWWAuthenticate = bearerError.Length == 0 ? "Bearer realm=\"hilrig-cloud\"" : $"Bearer realm=\"hilrig-cloud\", error=\"{bearerError}\"";
        return new CloudRequestException(StatusCodes.Status401Unauthorized, reason);
    }
}
