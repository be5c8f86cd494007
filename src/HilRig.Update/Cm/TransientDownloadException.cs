namespace HilRig.Update.Cm;

/// <summary>A download attempt that may work if tried again (5xx, 408, 429, a broken connection); Polly retries these.</summary>
public sealed class TransientDownloadException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>A URL that will not work however often it is tried (404, 403, …): the downloader moves to the next URL.</summary>
public sealed class PermanentDownloadException(string message) : Exception(message);
