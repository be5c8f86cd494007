using Microsoft.Extensions.Logging;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Update.Hosting;

// hilrig-cloud --data DIR [--key PEM] [--upload-trust JSON] [--listen URL] [--public-url URL] [--throttle 1.00:00:00] [--mirror URL]… [--lifeline]
// What DIR lacks is made at start (CloudDataDirectory): signing key, upload trust store, CA, server certificate, admin.token.
// --lifeline: exit when standard input closes, so a cloud the harness started never outlives the harness.
// --tls-key-log FILE: write every TLS secret to FILE (SSLKEYLOGFILE format) so a test rig's capture can be decrypted;
// anyone with the file reads the traffic, so it is for test rigs only.
var arguments = args.ToList();
string? Take(string name)
{
    var i = arguments.IndexOf(name);
    if (i < 0) return null;
    if (i + 1 >= arguments.Count) throw new ArgumentException($"{name} needs a value");
    var value = arguments[i + 1];
    arguments.RemoveRange(i, 2);
    return value;
}
try
{
    var lifeline = arguments.Remove("--lifeline");
    if (Take("--tls-key-log") is { } keyLog)
    {
        // .NET reads both when it first uses TLS, which is after this.
        Environment.SetEnvironmentVariable("SSLKEYLOGFILE", Path.GetFullPath(keyLog));
        AppContext.SetSwitch("System.Net.EnableSslKeyLogging", true);
        Console.WriteLine($"hilrig-cloud: writing TLS secrets to {Path.GetFullPath(keyLog)} (test rigs only)");
    }
    var mirrors = new List<Uri>();
    while (Take("--mirror") is { } m) mirrors.Add(new Uri(m));
    var options = new CloudOptions
    {
        DataDirectory = Take("--data") ?? throw new ArgumentException("--data DIR is required"),
        SigningKeyPath = Take("--key"),
        UploadTrustPath = Take("--upload-trust"),
        Listen = Take("--listen") ?? "https://127.0.0.1:8480",
        PublicUrl = Take("--public-url") is { } p ? new Uri(p) : null,
        ThrottlePeriod = Take("--throttle") is { } t ? TimeSpan.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : TimeSpan.FromDays(1),
        Mirrors = mirrors,
    };
    if (arguments.Count > 0) throw new ArgumentException($"unknown argument '{arguments[0]}'");
    await using var host = await CloudHost.StartAsync(options, logging: CloudHost.ConsoleLogging);
    foreach (var made in host.Created) Console.WriteLine($"hilrig-cloud: created {made}");
    Console.WriteLine($"hilrig-cloud listening on {host.Address}");
    var done = new TaskCompletionSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; done.TrySetResult(); };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => done.TrySetResult();
    if (lifeline) Lifeline.Watch(() => done.TrySetResult());
    await done.Task;
    return 0;
}
catch (Exception e) when (e is ArgumentException or CloudSetupException or UriFormatException or FormatException)
{
    Console.Error.WriteLine($"hilrig-cloud: {e.Message}");
    return 2;
}
