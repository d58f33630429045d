using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Skiff.Network;

/// <summary>
/// The DNS server of one user-defined network, listening (UDP and TCP) on the network's gateway,
/// port 53, in the host namespace; containers' resolv.conf points at the gateway. A and AAAA
/// questions for names the resolver knows (container names, aliases, short ids) are answered
/// directly; everything else is forwarded over UDP to the host's upstream resolvers (from
/// /etc/resolv.conf; loopback upstreams such as 127.0.0.53 are fine because skiffd, not the
/// container, talks to them). Unknown names with no upstream answer NXDOMAIN; upstream failure is
/// SERVFAIL.
/// </summary>
public sealed class EmbeddedDns : IAsyncDisposable
{
    private static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);

    private readonly string _networkId;
    private readonly Func<string, string, IReadOnlyList<IPAddress>> _resolver;
    private readonly IReadOnlyList<IPEndPoint> _upstreams;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Task> _loops = [];
    private Socket? _udp;
    private Socket? _tcp;

    /// <param name="networkId">Passed to the resolver.</param>
    /// <param name="listen">Usually gateway:53.</param>
    /// <param name="resolver">(networkId, name) -> addresses; the name arrives lower-case without the trailing dot.</param>
    /// <param name="upstreams">Forwarders; null = the nameservers of /etc/resolv.conf.</param>
    public EmbeddedDns(
        string networkId,
        IPEndPoint listen,
        Func<string, string, IReadOnlyList<IPAddress>> resolver,
        IReadOnlyList<IPEndPoint>? upstreams = null)
    {
        _networkId = networkId;
        Listen = listen;
        _resolver = resolver;
        // Never forward to ourselves (a resolv.conf naming the gateway would loop).
        _upstreams = [.. (upstreams ?? ReadUpstreams()).Where(u => !u.Equals(listen))];
    }

    public IPEndPoint Listen { get; }

    /// <summary>Nameservers of a resolv.conf, port 53.</summary>
    public static IReadOnlyList<IPEndPoint> ReadUpstreams(string path = "/etc/resolv.conf")
    {
        var result = new List<IPEndPoint>();
        if (!File.Exists(path))
        {
            return result;
        }

        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1].Split('%')[0], out var ip))
            {
                result.Add(new IPEndPoint(ip, 53));
            }
        }

        return result;
    }

    /// <summary>Binds UDP and TCP (throws if the address is not local or the port is taken) and starts serving.</summary>
    public void Start()
    {
        if (_udp is not null)
        {
            throw new InvalidOperationException("already started");
        }

        _udp = new Socket(Listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _tcp = new Socket(Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _udp.Bind(Listen);
            _tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _tcp.Bind(Listen);
            _tcp.Listen(64);
        }
        catch
        {
            _udp.Dispose();
            _tcp.Dispose();
            _udp = _tcp = null;
            throw;
        }

        _loops.Add(Task.Run(() => UdpLoopAsync(_udp, _cts.Token)));
        _loops.Add(Task.Run(() => TcpLoopAsync(_tcp, _cts.Token)));
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _udp?.Dispose();
        _tcp?.Dispose();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _cts.Dispose();
    }

    /// <summary>Answers one query message (null = no answer, e.g. garbage).</summary>
    public async Task<byte[]?> HandleAsync(byte[] query, CancellationToken ct)
    {
        var q = DnsMessage.ParseQuery(query);
        if (q is null)
        {
            return DnsMessage.BuildHeaderError(query, DnsMessage.RcodeFormErr);
        }

        if ((q.Flags & 0x7800) != 0)
        {
            return DnsMessage.BuildResponse(query, q, DnsMessage.RcodeNotImp, []);
        }

        if (q.Class == DnsMessage.ClassIn && q.Type is DnsMessage.TypeA or DnsMessage.TypeAaaa)
        {
            var name = q.Name.TrimEnd('.').ToLowerInvariant();
            IReadOnlyList<IPAddress> known = name.Length == 0 ? [] : _resolver(_networkId, name);
            if (known.Count > 0)
            {
                var family = q.Type == DnsMessage.TypeA ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                // A known name without addresses of the asked family is NODATA (NOERROR, no answers).
                return DnsMessage.BuildResponse(query, q, DnsMessage.RcodeNoError, [.. known.Where(a => a.AddressFamily == family)]);
            }
        }

        if (_upstreams.Count == 0)
        {
            return DnsMessage.BuildResponse(query, q, DnsMessage.RcodeNxDomain, []);
        }

        return await ForwardAsync(query, q, ct) ?? DnsMessage.BuildResponse(query, q, DnsMessage.RcodeServFail, []);
    }

    private async Task<byte[]?> ForwardAsync(byte[] query, DnsQuestion q, CancellationToken ct)
    {
        foreach (var upstream in _upstreams)
        {
            using var s = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(UpstreamTimeout);
            try
            {
                await s.ConnectAsync(upstream, timeout.Token);
                await s.SendAsync(query, SocketFlags.None, timeout.Token);
                var buf = new byte[65535];
                while (true)
                {
                    var n = await s.ReceiveAsync(buf, SocketFlags.None, timeout.Token);
                    if (n >= 12 && BinaryPrimitives.ReadUInt16BigEndian(buf) == q.Id)
                    {
                        return buf[..n];
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Next upstream.
            }
            catch (SocketException)
            {
                // Next upstream (e.g. ICMP port unreachable).
            }
        }

        return null;
    }

    private async Task UdpLoopAsync(Socket udp, CancellationToken ct)
    {
        var buf = new byte[65535];
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await udp.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(Listen.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0), ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            var query = buf[..r.ReceivedBytes];
            var client = r.RemoteEndPoint;
            _ = Task.Run(async () =>
            {
                try
                {
                    var answer = await HandleAsync(query, ct);
                    if (answer is not null)
                    {
                        await udp.SendToAsync(answer, SocketFlags.None, client, ct);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                }
            }, ct);
        }
    }

    private async Task TcpLoopAsync(Socket tcp, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket conn;
            try
            {
                conn = await tcp.AcceptAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = Task.Run(() => ServeTcpAsync(conn, ct), ct);
        }
    }

    private async Task ServeTcpAsync(Socket conn, CancellationToken ct)
    {
        using var _ = conn;
        try
        {
            var len = new byte[2];
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                idle.CancelAfter(TcpIdleTimeout);
                if (!await ReadExactAsync(conn, len, idle.Token))
                {
                    return;
                }

                var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(len)];
                if (!await ReadExactAsync(conn, query, idle.Token))
                {
                    return;
                }

                var answer = await HandleAsync(query, ct);
                if (answer is null)
                {
                    return;
                }

                var framed = new byte[answer.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
                answer.CopyTo(framed, 2);
                await conn.SendAsync(framed, SocketFlags.None, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static async Task<bool> ReadExactAsync(Socket s, byte[] buf, CancellationToken ct)
    {
        var off = 0;
        while (off < buf.Length)
        {
            var n = await s.ReceiveAsync(buf.AsMemory(off), SocketFlags.None, ct);
            if (n == 0)
            {
                return false;
            }

            off += n;
        }

        return true;
    }
}
