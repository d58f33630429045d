using System.Net.Sockets;

namespace Skiff.Integration.Tests.Support;

/// <summary>A raw Engine API client over the daemon's unix socket, for status codes and headers.</summary>
internal static class Api
{
    public static HttpClient Client(string socketPath) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await s.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
            return new NetworkStream(s, ownsSocket: true);
        },
    })
    {
        BaseAddress = new Uri("http://skiff"),
        Timeout = TimeSpan.FromSeconds(60),
    };
}
