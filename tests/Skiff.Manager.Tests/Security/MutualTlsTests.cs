using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Manager.Tests.Security;

public sealed class MutualTlsTests : IDisposable
{
    private const string ClusterId = "cluster1";
    private readonly RootCa _ca = RootCa.Create();
    private readonly RootCa _foreign = RootCa.Create();
    private readonly X509Certificate2 _manager;
    private readonly X509Certificate2 _worker;
    private readonly X509Certificate2 _foreignWorker;
    private readonly X509Certificate2 _foreignManager;

    public MutualTlsTests()
    {
        _manager = _ca.IssueNodeCertificateWithKey("manager1", NodeRole.Manager, ClusterId);
        _worker = _ca.IssueNodeCertificateWithKey("worker1", NodeRole.Worker, ClusterId);
        _foreignWorker = _foreign.IssueNodeCertificateWithKey("worker1", NodeRole.Worker, ClusterId);
        _foreignManager = _foreign.IssueNodeCertificateWithKey("manager1", NodeRole.Manager, ClusterId);
    }

    public void Dispose()
    {
        _manager.Dispose();
        _worker.Dispose();
        _foreignWorker.Dispose();
        _foreignManager.Dispose();
        _ca.Dispose();
        _foreign.Dispose();
    }

    [Fact]
    public async Task Handshake_OurCertificates_AcceptedAndPeersIdentified()
    {
        var result = await RunAsync(
            MutualTls.ServerOptions(_manager, _ca, expectedOrganization: ClusterId),
            MutualTls.ClientOptions(_worker, _ca, expectedOrganization: ClusterId));

        Assert.Null(result.ServerError);
        Assert.Null(result.ClientError);
        Assert.Equal(new NodeIdentity("worker1", NodeRole.Worker, ClusterId), result.SeenByServer);
        Assert.Equal(new NodeIdentity("manager1", NodeRole.Manager, ClusterId), result.SeenByClient);
    }

    [Fact]
    public async Task Handshake_RaftBetweenManagers_Accepted()
    {
        using var other = _ca.IssueNodeCertificateWithKey("manager2", NodeRole.Manager, ClusterId);
        var result = await RunAsync(
            MutualTls.ServerOptions(_manager, _ca, requiredClientRole: NodeRole.Manager),
            MutualTls.ClientOptions(other, _ca));

        Assert.Null(result.ServerError);
        Assert.Equal("manager2", result.SeenByServer?.NodeId);
    }

    [Fact]
    public async Task Handshake_ClientCertFromForeignCa_Refused()
    {
        var result = await RunAsync(
            MutualTls.ServerOptions(_manager, _ca),
            MutualTls.ClientOptions(_foreignWorker, _ca));

        Assert.IsType<AuthenticationException>(result.ServerError);
        Assert.NotNull(result.ClientError);
        Assert.Null(result.SeenByServer);
    }

    [Fact]
    public async Task Handshake_NoClientCertificate_Refused()
    {
        var noCert = new SslClientAuthenticationOptions
        {
            TargetHost = MutualTls.ManagerHostName,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        };
        var result = await RunAsync(MutualTls.ServerOptions(_manager, _ca), noCert);

        Assert.IsType<AuthenticationException>(result.ServerError);
        Assert.NotNull(result.ClientError);
    }

    [Fact]
    public async Task Handshake_ServerCertFromForeignCa_RefusedByClient()
    {
        var trustingServer = MutualTls.ServerOptions(_foreignManager, _foreign);
        var result = await RunAsync(trustingServer, MutualTls.ClientOptions(_worker, _ca));

        Assert.IsType<AuthenticationException>(result.ClientError);
        Assert.NotNull(result.ServerError);
    }

    [Fact]
    public async Task Handshake_WorkerPosingAsManagerServer_RefusedByClient()
    {
        var result = await RunAsync(
            MutualTls.ServerOptions(_worker, _ca),
            MutualTls.ClientOptions(_manager, _ca));

        Assert.IsType<AuthenticationException>(result.ClientError);
        Assert.NotNull(result.ServerError);
    }

    [Fact]
    public async Task Handshake_WorkerOnRaftPort_Refused()
    {
        var result = await RunAsync(
            MutualTls.ServerOptions(_manager, _ca, requiredClientRole: NodeRole.Manager),
            MutualTls.ClientOptions(_worker, _ca));

        Assert.IsType<AuthenticationException>(result.ServerError);
        Assert.NotNull(result.ClientError);
    }

    [Fact]
    public async Task Handshake_OtherClusterOrganization_Refused()
    {
        using var otherCluster = _ca.IssueNodeCertificateWithKey("worker9", NodeRole.Worker, "cluster2");
        var result = await RunAsync(
            MutualTls.ServerOptions(_manager, _ca, expectedOrganization: ClusterId),
            MutualTls.ClientOptions(otherCluster, _ca));

        Assert.IsType<AuthenticationException>(result.ServerError);
        Assert.NotNull(result.ClientError);
    }

    [Fact]
    public void ServerOptions_CertificateWithoutKey_Throws() =>
        Assert.Throws<ArgumentException>(() => MutualTls.ServerOptions(_ca.Certificate, _ca));

    private sealed record Outcome(Exception? ServerError, Exception? ClientError, NodeIdentity? SeenByServer, NodeIdentity? SeenByClient);

    private async Task<Outcome> RunAsync(SslServerAuthenticationOptions serverOptions, SslClientAuthenticationOptions clientOptions)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var accept = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
            var clientTcp = new TcpClient();
            await clientTcp.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            var serverTcp = await accept;

            var server = Side(serverTcp, async ssl =>
            {
                await ssl.AuthenticateAsServerAsync(serverOptions, timeout.Token);
                await ssl.WriteAsync(new byte[] { 42 }, timeout.Token);
                await ReadOneAsync(ssl, timeout.Token);
            });
            var client = Side(clientTcp, async ssl =>
            {
                await ssl.AuthenticateAsClientAsync(clientOptions, timeout.Token);
                await ReadOneAsync(ssl, timeout.Token);
                await ssl.WriteAsync(new byte[] { 43 }, timeout.Token);
            });
            var results = await Task.WhenAll(server, client);
            return new Outcome(results[0].Error, results[1].Error, results[0].Peer, results[1].Peer);
        }
        finally
        {
            listener.Stop();
        }
    }

    private async Task<(Exception? Error, NodeIdentity? Peer)> Side(TcpClient tcp, Func<SslStream, Task> run)
    {
        using (tcp)
        {
            await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            try
            {
                await run(ssl);
                return (null, MutualTls.PeerIdentity(ssl, _ca));
            }
            catch (Exception e) when (e is AuthenticationException or IOException or NodeCertificateException or OperationCanceledException)
            {
                return (e, null);
            }
        }
    }

    private static async Task ReadOneAsync(SslStream ssl, CancellationToken cancellationToken)
    {
        var buffer = new byte[1];
        if (await ssl.ReadAsync(buffer, cancellationToken) != 1)
        {
            throw new IOException("connection closed by peer");
        }
    }
}
