using System.Net;
using System.Net.Sockets;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Simulators.SimNet;

namespace HilRig.Steps.Cloud;

/// <summary>
/// The cloud hosted inside the harness process on 127.0.0.1, for rigs without SimNet (<c>network: none</c>): the boards
/// are on the host's loopback too, so a separate process would add start-up time and nothing else. Steps still drive it
/// over HTTP, exactly as they drive <see cref="NamespaceCloud"/>.
/// </summary>
public sealed class LoopbackCloud : IUpdateCloud
{
    private readonly CloudHost _host;
    private readonly HttpClient _http;

    private LoopbackCloud(CloudHost host)
    {
        _host = host;
        _http = CloudTrust.OperatorClient(OperatorHandler(), host.Data, CloudTrust.AdminToken(host.Data), TimeSpan.FromSeconds(60));
        Api = new CloudApiClient(_http, host.Address);
    }

    public CloudDataDirectory Data => _host.Data;

    public SocketsHttpHandler OperatorHandler() => new();

    public Socket BindOnHost(IPEndPoint endpoint) => NamespaceSockets.BoundTcp(null, endpoint);

    public Uri UnitUrl => _host.Address;

    public CloudApiClient Api { get; }

    public string Where => $"in the harness on {_host.Address}";

    public static async Task<LoopbackCloud> StartAsync(CloudSettings settings) =>
        new(await CloudHost.StartAsync(new CloudOptions
        {
            DataDirectory = settings.DataDirectory,
            SigningKeyPath = settings.SigningKeyPath,
            UploadTrustPath = settings.UploadTrustPath,
            Listen = "https://127.0.0.1:0",
            ThrottlePeriod = settings.Throttle,
        }));

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }
}
