using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Skiff.Api;

namespace Skiff.Network;

/// <summary>
/// A host port held for a published container port. For TCP and UDP the allocator keeps a socket
/// bound (not listening) to the host address and port, like Docker without its userland proxy: no
/// other process can take the port, while packets never reach the socket because they are DNATed
/// before local delivery. Dispose to release.
/// </summary>
public sealed class PortReservation : IDisposable
{
    private readonly HostPortAllocator _owner;
    private readonly Socket? _socket;
    private int _disposed;

    internal PortReservation(HostPortAllocator owner, string protocol, IPAddress hostIp, int hostPort, Socket? socket)
    {
        _owner = owner;
        Protocol = protocol;
        HostIp = hostIp;
        HostPort = hostPort;
        _socket = socket;
    }

    public string Protocol { get; }

    public IPAddress HostIp { get; }

    public int HostPort { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket?.Dispose();
            _owner.Forget(this);
        }
    }
}

/// <summary>
/// Host port bookkeeping for published ports: exact ports (<c>-p 8080:80</c>), ranges
/// (<c>-p 8000-8010:80</c>) and ephemeral ports (<c>-p 80</c>, <c>-P</c>). Like Docker's portallocator the
/// dynamic range is the kernel's <c>net.ipv4.ip_local_port_range</c> (32768-60999 on Debian), falling
/// back to Docker's 49153-65535 when that file cannot be read, and it hands out ports round-robin
/// (after the last one given) so a just-freed port is not reused at once.
/// </summary>
public sealed class HostPortAllocator
{
    public const int FallbackRangeStart = 49153;
    public const int FallbackRangeEnd = 65535;

    private readonly Lock _lock = new();
    private readonly List<PortReservation> _held = [];
    private readonly Dictionary<string, int> _last = [];

    public HostPortAllocator(int rangeStart, int rangeEnd)
    {
        if (rangeStart is < 1 or > 65535 || rangeEnd < rangeStart || rangeEnd > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(rangeStart), $"invalid port range {rangeStart}-{rangeEnd}");
        }

        (RangeStart, RangeEnd) = (rangeStart, rangeEnd);
    }

    public HostPortAllocator()
        : this(ReadDynamicRange().Start, ReadDynamicRange().End)
    {
    }

    public int RangeStart { get; }

    public int RangeEnd { get; }

    /// <summary>Docker's dynamic range: ip_local_port_range, else 49153-65535.</summary>
    public static (int Start, int End) ReadDynamicRange(string path = "/proc/sys/net/ipv4/ip_local_port_range")
    {
        try
        {
            var parts = File.ReadAllText(path).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var e)
                && s >= 1 && e <= 65535 && s <= e)
            {
                return (s, e);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return (FallbackRangeStart, FallbackRangeEnd);
    }

    /// <summary>
    /// Reserves <paramref name="hostPort"/> (0 = any port of the dynamic range) on
    /// <paramref name="hostIp"/> (null = 0.0.0.0).
    /// </summary>
    /// <param name="endpoint">Used in the error, e.g. the container name ("NAME (ENDPOINTID)" like Docker).</param>
    public PortReservation Reserve(string protocol, IPAddress? hostIp, int hostPort, string endpoint)
        => hostPort == 0
            ? ReserveRange(protocol, hostIp, RangeStart, RangeEnd, endpoint)
            : ReserveRange(protocol, hostIp, hostPort, hostPort, endpoint);

    /// <summary>Reserves the first free port of [start, end] (round-robin for ranges).</summary>
    public PortReservation ReserveRange(string protocol, IPAddress? hostIp, int start, int end, string endpoint)
    {
        var proto = NftFirewall.ProtoKeyword(protocol);
        var ip = hostIp ?? IPAddress.Any;
        if (start is < 1 or > 65535 || end < start || end > 65535)
        {
            throw new BadRequestException($"invalid host port range {start}-{end}");
        }

        lock (_lock)
        {
            var key = $"{proto}/{ip}/{start}-{end}";
            var count = end - start + 1;
            var first = start == end ? start : (_last.TryGetValue(key, out var l) && l >= start && l < end ? l + 1 : start);
            SocketException? lastError = null;
            for (var i = 0; i < count; i++)
            {
                var port = start + ((first - start + i) % count);
                if (_held.Any(h => h.Protocol == proto && h.HostPort == port
                    && (h.HostIp.Equals(IPAddress.Any) || ip.Equals(IPAddress.Any) || h.HostIp.Equals(ip))))
                {
                    continue;
                }

                Socket? socket;
                try
                {
                    socket = BindProbe(proto, ip, port);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
                {
                    lastError = e;
                    continue;
                }
                catch (SocketException e)
                {
                    throw new SkiffException(500,
                        $"driver failed programming external connectivity on endpoint {endpoint}: listen {proto}4 {ip}:{port}: bind: {e.Message.ToLowerInvariant()}");
                }

                var r = new PortReservation(this, proto, ip, port, socket);
                _held.Add(r);
                _last[key] = port;
                return r;
            }

            _ = lastError;
            if (start == end)
            {
                throw new SkiffException(500,
                    $"driver failed programming external connectivity on endpoint {endpoint}: Bind for {ip}:{start} failed: port is already allocated");
            }

            throw new SkiffException(500,
                $"driver failed programming external connectivity on endpoint {endpoint}: all ports from range {start}-{end} are allocated");
        }
    }

    /// <summary>True when the port is neither held here nor bound by another process.</summary>
    public static bool IsFree(string protocol, IPAddress? hostIp, int port)
    {
        try
        {
            BindProbe(NftFirewall.ProtoKeyword(protocol), hostIp ?? IPAddress.Any, port)?.Dispose();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal void Forget(PortReservation r)
    {
        lock (_lock)
        {
            _held.Remove(r);
        }
    }

    private static Socket? BindProbe(string proto, IPAddress ip, int port)
    {
        var (type, pt) = proto switch
        {
            "tcp" => (SocketType.Stream, ProtocolType.Tcp),
            "udp" => (SocketType.Dgram, ProtocolType.Udp),
            _ => (SocketType.Unknown, ProtocolType.Unknown),
        };
        if (type == SocketType.Unknown)
        {
            // SCTP: bookkeeping only (no socket held).
            return null;
        }

        var s = new Socket(AddressFamily.InterNetwork, type, pt);
        try
        {
            // Socket.Bind on Unix always sets SO_REUSEADDR for TCP, which would let another
            // SO_REUSEADDR socket bind the same port while ours is not listening. bind(2) directly
            // on a socket without SO_REUSEADDR/SO_REUSEPORT blocks every other bind of the port.
            NativeMethods.Bind(s, ip, port);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }
}

internal static class NativeMethods
{
    /// <summary>bind(2) on an IPv4 socket; throws <see cref="SocketException"/> with the errno.</summary>
    public static void Bind(Socket socket, IPAddress ip, int port)
    {
        var addr = new byte[16];
        addr[0] = (byte)AddressFamily.InterNetwork; // sa_family_t, little-endian on x64/arm64
        addr[2] = (byte)(port >> 8);
        addr[3] = (byte)port;
        ip.TryWriteBytes(addr.AsSpan(4), out _);
        if (SysBind((int)socket.Handle, addr, addr.Length) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError() switch
            {
                98 => (int)SocketError.AddressAlreadyInUse,
                99 => (int)SocketError.AddressNotAvailable,
                13 => (int)SocketError.AccessDenied,
                _ => (int)SocketError.SocketError,
            });
        }
    }

    public const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int SetNs(int fd, int nstype);

    public const ulong MsBind = 0x1000;

    public const int MntDetach = 2;

    private const long NsfsMagic = 0x6e736673;

    [DllImport("libc", EntryPoint = "unshare", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Unshare(int flags);

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Mount(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string source, [MarshalAs(UnmanagedType.LPUTF8Str)] string target,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string? fstype, ulong flags, [MarshalAs(UnmanagedType.LPUTF8Str)] string? data);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Umount2([MarshalAs(UnmanagedType.LPUTF8Str)] string target, int flags);

    [DllImport("libc", EntryPoint = "statfs", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int StatFs([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buf);

    /// <summary>Is <paramref name="path"/> on nsfs (a namespace file bind-mounted there)? <c>f_type</c> is the first
    /// field of struct statfs, a long, on the 64-bit Linux ABIs we run on.</summary>
    public static bool IsNsfs(string path)
    {
        var buf = new byte[256];
        return StatFs(path, buf) == 0 && BitConverter.ToInt64(buf, 0) == NsfsMagic;
    }

    [DllImport("libc", EntryPoint = "bind", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysBind(int fd, byte[] addr, int len);
}
