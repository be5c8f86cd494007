using System.Net;

namespace HilRig.SoftBus.Coap;

/// <summary>A request as a server handler sees it: the message, who sent it, and whether it came to a group address.</summary>
public sealed record CoapRequestContext(CoapMessage Request, IPEndPoint Remote, bool ToGroup);

/// <summary>
/// Answers requests. Return the response (its code, options and payload; the endpoint sets type, id and token) or
/// null for no response at all (a NON notification, a request suppressed as §8.2 allows).
/// </summary>
public delegate ValueTask<CoapMessage?> CoapRequestHandler(CoapRequestContext request, CancellationToken cancellation);
