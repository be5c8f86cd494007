using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>
/// <c>hilrig cloud serve|enroll|revoke|token</c> end to end, as a person runs them: the real command, a real HTTPS
/// listener, curl-like clients that trust only the CA the cloud made.
/// </summary>
public class CloudCommandTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A client that trusts <c>DIR/ca.crt</c> alone, optionally presenting a unit's certificate.</summary>
    private static HttpClient Client(string data, string? unitDirectory = null, string? token = null)
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(data, "ca.crt")));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || certificate is null) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        };
        if (unitDirectory is not null)
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(Path.Combine(unitDirectory, "unit.crt"), Path.Combine(unitDirectory, "unit.key"))];
        var http = new HttpClient(handler);
        if (token is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<(System.Diagnostics.Process Process, Uri Url, StringBuilder Output)> ServeAsync(string data)
    {
        var url = new Uri($"https://127.0.0.1:{FreePort()}/");
        var process = Hilrig.Start("cloud", "serve", "--data", data, "--listen", url.AbsoluteUri);
        var output = new StringBuilder();
        var listening = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            lock (output) output.AppendLine(e.Data);
            if (e.Data?.StartsWith("cloud listening on", StringComparison.Ordinal) == true) listening.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(2))) != listening.Task)
        {
            if (!process.HasExited) process.Kill();
            Assert.Fail($"cloud serve did not start listening:\n{output}");
        }
        return (process, url, output);
    }

    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Serve_AnEmptyDirectory_MakesWhatItLacks_401WithoutAToken_UnitsAndTokensWorkWhileItRuns()
    {
        var data = Path.Combine(RepoPaths.NewTempDirectory("cli-cloud"), "cloud");
        var (process, url, output) = await ServeAsync(data);
        try
        {
            foreach (var file in new[] { "signing.pem", "upload-trust.json", "ca.crt", "ca.key", "server.crt", "server.key", "admin.token", "cloud.db" })
                Assert.That(File.Exists(Path.Combine(data, file)), Is.True, $"{file}\n{output}");
            foreach (var secret in new[] { "signing.pem", "ca.key", "server.key", "admin.token" })
                Assert.That(File.GetUnixFileMode(Path.Combine(data, secret)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), secret);
            var token = await File.ReadAllTextAsync(Path.Combine(data, "admin.token"));
            Assert.That(token, Does.Match(@"^hilrig_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$"), "the token alone on one line");
            token = token.Trim();

            using (var anonymous = Client(data))
            using (var response = await anonymous.GetAsync(new Uri(url, "api/dashboard")))
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
                Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer realm=\"hilrig-cloud\""));
            }
            using (var admin = Client(data, token: token))
                Assert.That((await admin.GetAsync(new Uri(url, "api/dashboard"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));

            var unitDir = Path.Combine(Path.GetDirectoryName(data)!, "unit-7");
            var enroll = await Hilrig.RunAsync("cloud", "enroll", "--data", data, "--unit", "unit-7", "--out", unitDir);
            Assert.That(enroll.ExitCode, Is.EqualTo(0), enroll.ToString());
            Assert.That(Directory.GetFiles(unitDir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "unit.crt", "unit.key", "ca.crt" }));
            Assert.That(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(unitDir, "unit.crt"))).GetNameInfo(X509NameType.SimpleName, false), Is.EqualTo("unit-7"));
            using (var unit = Client(data, unitDir))
            {
                var body = new StringContent("""{"unitId":"unit-7","platformId":"p","imageVersion":0,"nonce":"n1"}""", Encoding.UTF8, "application/json");
                using var checkIn = await unit.PostAsync(new Uri(url, "api/checkin"), body);
                Assert.That(checkIn.StatusCode, Is.EqualTo(HttpStatusCode.OK), await checkIn.Content.ReadAsStringAsync());
            }

            var add = await Hilrig.RunAsync("cloud", "token", "add", "--data", data, "--role", "viewer", "--name", "dashboard screen");
            Assert.That(add.ExitCode, Is.EqualTo(0), add.ToString());
            var viewerToken = add.Stdout.Trim();
            var id = Regex.Match(viewerToken, "^hilrig_([0-9a-f]{16})_").Groups[1].Value;
            using (var viewer = Client(data, token: viewerToken))
            {
                Assert.That((await viewer.GetAsync(new Uri(url, "api/dashboard"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
                Assert.That((await viewer.DeleteAsync(new Uri(url, "api/platforms/p/images/1"))).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
                var list = await Hilrig.RunAsync("cloud", "token", "list", "--data", data, "--json");
                Assert.That(list.Stdout, Does.Contain($"\"id\":\"{id}\",\"roles\":[\"viewer\"],\"name\":\"dashboard screen\""));
                Assert.That(list.Stdout, Does.Not.Contain(viewerToken), "tokens are never shown again");
                var revoke = await Hilrig.RunAsync("cloud", "token", "revoke", "--data", data, id);
                Assert.That(revoke.ExitCode, Is.EqualTo(0), revoke.ToString());
                Assert.That((await viewer.GetAsync(new Uri(url, "api/dashboard"))).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            }
            var security = await File.ReadAllTextAsync(Path.Combine(data, "security.log"));
            Assert.That(Regex.Matches(security, "\"status\":401").Count, Is.EqualTo(2));
            Assert.That(Regex.Matches(security, "\"status\":403").Count, Is.EqualTo(1));
        }
        finally
        {
            // SIGTERM to the process this test started (by its pid): what a service manager sends.
            if (!process.HasExited) System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            Assert.That(process.ExitCode, Is.EqualTo(0), $"SIGTERM stops it cleanly:\n{output}");
        }
    }

    [TestCase(new[] { "cloud", "token", "add", "--data", "{dir}", "--role", "admin" }, "--role: unknown role 'admin' (roles: oem, operator, viewer)")]
    [TestCase(new[] { "cloud", "enroll", "--data", "{dir}", "--unit", "a/b", "--out", "{dir}/u" }, "unit id 'a/b' is not 1 to 128 characters without '/' or control characters")]
    [TestCase(new[] { "cloud", "enroll", "--data", "{dir}", "--unit", "u", "--out", "{dir}/u", "--days", "0" }, "--days 0: at least 1")]
    [TestCase(new[] { "cloud", "serve", "--data", "{dir}", "--listen", "http://127.0.0.1:0" }, "the cloud serves HTTPS only")]
    [TestCase(new[] { "cloud", "token", "list", "--data", "{dir}/nothing" }, "holds no cloud")]
    [TestCase(new[] { "cloud", "revoke", "--data", "{dir}", "--unit", "never" }, "unit 'never' was never enrolled")]
    [TestCase(new[] { "cloud", "token", "revoke", "--data", "{dir}", "0123456789abcdef" }, "no token 0123456789abcdef")]
    public async Task BadInput_Exit2_WithTheReason(string[] args, string reason)
    {
        var dir = RepoPaths.NewTempDirectory("cli-cloud-bad");
        // A cloud exists in {dir} for the commands that need one.
        Assert.That((await Hilrig.RunAsync("cloud", "token", "add", "--data", dir, "--role", "oem")).ExitCode, Is.EqualTo(0));
        var r = await Hilrig.RunAsync(args.Select(a => a.Replace("{dir}", dir)).ToArray());
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain(reason));
    }

    [Test]
    public async Task Serve_ACaCertificateWithoutItsKey_Exit2_NamingTheFile()
    {
        var dir = RepoPaths.NewTempDirectory("cli-cloud-ca");
        Assert.That((await Hilrig.RunAsync("cloud", "enroll", "--data", dir, "--unit", "u", "--out", Path.Combine(dir, "u"))).ExitCode, Is.EqualTo(0));
        File.Delete(Path.Combine(dir, "ca.key"));
        var r = await Hilrig.RunAsync("cloud", "serve", "--data", dir, "--listen", "https://127.0.0.1:0");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain($"{dir}/ca.crt exists without {dir}/ca.key"));
    }
}
