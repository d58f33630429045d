using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Grpc.Net.Client;

namespace Skiff.Manager.Security;

/// <summary>
/// gRPC channels to a manager's swarm port. The TLS name is always <see cref="MutualTls.ManagerHostName"/>
/// (every manager certificate carries it) whatever address is dialled, as swarmkit does, so the
/// standard name check applies and addresses need not be in certificates.
/// </summary>
public static class SwarmChannel
{
    public static GrpcChannel Create(string managerAddress, SslClientAuthenticationOptions ssl, TimeSpan? connectTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(ssl);
        var endpoint = Parse(managerAddress);
        ssl.TargetHost = MutualTls.ManagerHostName;
        return GrpcChannel.ForAddress($"https://{MutualTls.ManagerHostName}:{endpoint.Port}", new GrpcChannelOptions
        {
            // A session message carries the node's secrets and configs (up to 500 KiB and 1000 KiB each): the 4 MB
            // default would cut a node off from all its tasks once a few large ones land on it.
            MaxReceiveMessageSize = 256 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = ssl,
                ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                EnableMultipleHttp2Connections = true,
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(endpoint, ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            },
            DisposeHttpClient = true,
        });
    }

    /// <summary><c>host:port</c> with an IP host (names are resolved once here).</summary>
    public static IPEndPoint Parse(string address)
    {
        if (IPEndPoint.TryParse(address, out var ep) && ep.Port != 0)
        {
            return ep;
        }

        var colon = address.LastIndexOf(':');
        var host = colon < 0 ? address : address[..colon];
        var port = colon < 0 ? 2377 : int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var ip = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new ArgumentException($"cannot resolve manager address {address}");
        return new IPEndPoint(ip, port);
    }
}
