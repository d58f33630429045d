using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Skiff.Network;

/// <summary>The kernel refused a route-netlink request: <see cref="Errno"/> and the kernel's own message when it gave one.</summary>
public sealed class NetlinkException(string operation, int errno, string? kernelMessage)
    : Exception($"{operation}: {Marshal.GetPInvokeErrorMessage(errno)}{(string.IsNullOrEmpty(kernelMessage) ? "" : $" ({kernelMessage})")}")
{
    public int Errno { get; } = errno;
}

/// <summary>
/// A route-netlink socket (what <c>ip</c> speaks to the kernel), for the few link, address and route changes of a
/// container start, without an <c>ip</c> process per change: on these 2-core VMs every process costs about 10 ms of
/// CPU in page faults (bench/RESULTS.md). A socket opened in a namespace (<see cref="OpenIn"/>) changes that
/// namespace. Requests are synchronous: the kernel answers each before <see cref="Request"/> returns. Not thread-safe.
/// </summary>
public sealed class RtNetlink : IDisposable
{
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkRoute = 0;
    private const int SolNetlink = 270;
    private const int NetlinkExtAck = 11;
    private const int NetlinkCapAck = 10;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;

    private const ushort NlmsgError = 2;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFAck = 0x4;
    private const ushort NlmFReplace = 0x100;
    private const ushort NlmFExcl = 0x200;
    private const ushort NlmFCreate = 0x400;
    private const ushort NlmFCapped = 0x100; // on an error message: the request's payload is not echoed
    private const ushort NlmFAckTlvs = 0x200; // on an error message: extended-ack attributes follow
    private const ushort NlmsgerrAttrMsg = 1;

    private const ushort RtmNewLink = 16;
    private const ushort RtmDelLink = 17;
    private const ushort RtmGetLink = 18;
    private const ushort RtmNewAddr = 20;
    private const ushort RtmNewRoute = 24;

    private const ushort IflaAddress = 1;
    private const ushort IflaIfname = 3;
    private const ushort IflaMaster = 10;
    private const ushort IflaLinkinfo = 18;
    private const ushort IflaNetNsFd = 28;
    private const ushort IflaInfoKind = 1;
    private const ushort IflaInfoData = 2;
    private const ushort IflaInfoSlaveKind = 4;
    private const ushort IflaInfoSlaveData = 5;
    private const ushort IflaBrportMode = 4;
    private const ushort VethInfoPeer = 1;
    private const ushort IfaAddress = 1;
    private const ushort IfaLocal = 2;
    private const ushort RtaOif = 4;
    private const ushort RtaGateway = 5;
    private const uint IffUp = 1;

    private int _fd;
    private uint _seq;
    private readonly byte[] _buffer = new byte[65536];

    private RtNetlink(int fd) => _fd = fd;

    /// <summary>A socket in the calling thread's network namespace (the daemon's threads live in the host's).</summary>
    public static RtNetlink Open()
    {
        var fd = Socket(AfNetlink, SockRaw | SockCloexec, NetlinkRoute);
        if (fd < 0)
        {
            throw new IOException($"socket(AF_NETLINK) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        // Optional extras: the kernel's own text with an error, and errors that do not echo the whole request back.
        var one = 1;
        _ = SetSockOpt(fd, SolNetlink, NetlinkExtAck, ref one, sizeof(int));
        _ = SetSockOpt(fd, SolNetlink, NetlinkCapAck, ref one, sizeof(int));

        // The kernel answers at once; a bound keeps a lost answer from holding a thread for good.
        long[] timeout = [5, 0]; // struct timeval: 5 s
        _ = SetSockOptTimeval(fd, SolSocket, SoRcvTimeo, timeout, 16);
        return new RtNetlink(fd);
    }

    /// <summary>A socket inside the network namespace bound at <paramref name="netnsPath"/>.</summary>
    public static RtNetlink OpenIn(string netnsPath)
    {
        RtNetlink? socket = null;
        NetnsManager.OnOwnThread("skiff-netns-nl", () =>
        {
            NetnsManager.JoinNetns(netnsPath);
            socket = Open();
        });
        return socket!;
    }

    /// <summary>The interface index of <paramref name="name"/>, or null when there is no such link.</summary>
    public int? LinkIndex(string name)
    {
        var m = new Message(RtmGetLink, NlmFRequest);
        m.IfInfo(0, 0, 0);
        m.AttrString(IflaIfname, name);
        try
        {
            var reply = Exchange(m, $"get link {name}");
            return BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(16 + 4));
        }
        catch (NetlinkException e) when (e.Errno == 19)
        {
            return null; // ENODEV
        }
    }

    /// <summary>
    /// <c>ip link add name HOST [master M] up type veth peer name PEER [address MAC] netns NSFD</c>: the pair with its
    /// host end up (and enslaved to <paramref name="masterIndex"/> when given) and its other end created directly in the
    /// namespace of <paramref name="peerNetnsFd"/>, down (<see cref="SetUp"/> it from a socket in that namespace).
    /// </summary>
    public void CreateVeth(string hostName, int? masterIndex, string peerName, byte[]? peerMac, int peerNetnsFd)
    {
        var m = new Message(RtmNewLink, NlmFRequest | NlmFAck | NlmFCreate | NlmFExcl);
        m.IfInfo(0, IffUp, IffUp);
        m.AttrString(IflaIfname, hostName);
        if (masterIndex is { } master)
        {
            m.AttrU32(IflaMaster, (uint)master);
        }

        var linkInfo = m.BeginNested(IflaLinkinfo);
        m.AttrString(IflaInfoKind, "veth");
        var data = m.BeginNested(IflaInfoData);
        var peer = m.BeginNested(VethInfoPeer);
        m.IfInfo(0, 0, 0); // not up here: the kernel configures the peer before pairing them (ENOTCONN)
        m.AttrString(IflaIfname, peerName);
        if (peerMac is not null)
        {
            m.AttrBytes(IflaAddress, peerMac);
        }

        m.AttrU32(IflaNetNsFd, (uint)peerNetnsFd);
        m.EndNested(peer);
        m.EndNested(data);
        m.EndNested(linkInfo);
        Exchange(m, $"create veth {hostName}/{peerName}");
    }

    /// <summary><c>ip link set dev INDEX up</c>.</summary>
    public void SetUp(int index)
    {
        var m = new Message(RtmNewLink, NlmFRequest | NlmFAck);
        m.IfInfo(index, IffUp, IffUp);
        Exchange(m, $"set link {index} up");
    }

    /// <summary><c>ip link set dev INDEX type bridge_slave hairpin on</c>: a bridge port that sends frames back out
    /// where they came in (a container reaching its own published port through the host).</summary>
    public void SetHairpin(int index)
    {
        var m = new Message(RtmNewLink, NlmFRequest | NlmFAck);
        m.IfInfo(index, 0, 0);
        var linkInfo = m.BeginNested(IflaLinkinfo);
        m.AttrString(IflaInfoSlaveKind, "bridge");
        var data = m.BeginNested(IflaInfoSlaveData);
        m.AttrBytes(IflaBrportMode, [1]);
        m.EndNested(data);
        m.EndNested(linkInfo);
        Exchange(m, $"set hairpin on link {index}");
    }

    /// <summary><c>ip addr add ADDRESS/PREFIX dev INDEX</c> (IPv4).</summary>
    public void AddAddress(int index, IPAddress address, int prefixLength)
    {
        var m = new Message(RtmNewAddr, NlmFRequest | NlmFAck | NlmFCreate | NlmFExcl);
        m.Bytes([(byte)AddressFamily.InterNetwork, (byte)prefixLength, 0, 0]);
        m.U32((uint)index);
        var bytes = address.GetAddressBytes();
        m.AttrBytes(IfaLocal, bytes);
        m.AttrBytes(IfaAddress, bytes);
        Exchange(m, $"add address {address}/{prefixLength}");
    }

    /// <summary><c>ip route replace default via GATEWAY dev INDEX</c> in the main table.</summary>
    public void ReplaceDefaultRoute(IPAddress gateway, int index)
    {
        var m = new Message(RtmNewRoute, NlmFRequest | NlmFAck | NlmFCreate | NlmFReplace);
        // family, dst_len, src_len, tos, table (main), protocol (boot), scope (universe), type (unicast), flags
        m.Bytes([(byte)AddressFamily.InterNetwork, 0, 0, 0, 254, 3, 0, 1]);
        m.U32(0);
        m.AttrBytes(RtaGateway, gateway.GetAddressBytes());
        m.AttrU32(RtaOif, (uint)index);
        Exchange(m, $"replace default route via {gateway}");
    }

    /// <summary><c>ip link del dev NAME</c>; false when there was no such link.</summary>
    public bool DeleteLink(string name)
    {
        var m = new Message(RtmDelLink, NlmFRequest | NlmFAck);
        m.IfInfo(0, 0, 0);
        m.AttrString(IflaIfname, name);
        try
        {
            Exchange(m, $"delete link {name}");
            return true;
        }
        catch (NetlinkException e) when (e.Errno == 19)
        {
            return false; // ENODEV
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Close(fd);
        }
    }

    /// <summary>Sends one request and reads until its answer: the reply message for a get (returned), or the
    /// acknowledgement (errno 0: returns an empty array; otherwise throws).</summary>
    private byte[] Exchange(Message m, string operation)
    {
        var seq = ++_seq;
        var request = m.Finish(seq);
        if (Send(_fd, request, (nint)request.Length, 0) != request.Length)
        {
            throw new IOException($"{operation}: netlink send failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        while (true)
        {
            var n = (int)Recv(_fd, _buffer, _buffer.Length, 0);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == 4)
                {
                    continue; // EINTR
                }

                if (errno == 11)
                {
                    throw new IOException($"{operation}: no answer from the kernel within 5 s");
                }

                throw new IOException($"{operation}: netlink receive failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            for (var off = 0; off + 16 <= n;)
            {
                var span = _buffer.AsSpan(off, n - off);
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
                var type = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
                var flags = BinaryPrimitives.ReadUInt16LittleEndian(span[6..]);
                var msgSeq = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
                if (len < 16 || len > span.Length)
                {
                    throw new IOException($"{operation}: malformed netlink answer");
                }

                if (msgSeq == seq)
                {
                    if (type == NlmsgError)
                    {
                        var errno = -BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
                        if (errno == 0)
                        {
                            return [];
                        }

                        throw new NetlinkException(operation, errno, (flags & NlmFAckTlvs) != 0 ? ExtAckMessage(span[..len], (flags & NlmFCapped) != 0) : null);
                    }

                    return span[..len].ToArray();
                }

                off += (len + 3) & ~3;
            }
        }
    }

    /// <summary>The NLMSGERR_ATTR_MSG text of an error carrying extended-ack attributes (after the echoed header).</summary>
    private static string? ExtAckMessage(ReadOnlySpan<byte> error, bool capped)
    {
        // nlmsghdr (16), error (4), then the request: its header only when capped (NETLINK_CAP_ACK), else all of it.
        var echoed = capped || error.Length < 24 ? 16 : (int)BinaryPrimitives.ReadUInt32LittleEndian(error[20..]);
        for (var off = 20 + ((echoed + 3) & ~3); off + 4 <= error.Length;)
        {
            var len = BinaryPrimitives.ReadUInt16LittleEndian(error[off..]);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(error[(off + 2)..]) & 0x3FFF);
            if (len < 4 || off + len > error.Length)
            {
                return null;
            }

            if (type == NlmsgerrAttrMsg)
            {
                return Encoding.UTF8.GetString(error.Slice(off + 4, len - 4)).TrimEnd('\0');
            }

            off += (len + 3) & ~3;
        }

        return null;
    }

    /// <summary>A request being built: nlmsghdr, fixed header, then attributes, each padded to 4 bytes.</summary>
    private sealed class Message
    {
        private readonly List<byte> _b = new(256);

        public Message(ushort type, ushort flags)
        {
            U32(0); // length, set by Finish
            U16(type);
            U16(flags);
            U32(0); // sequence, set by Finish
            U32(0); // port id: the kernel
        }

        public void IfInfo(int index, uint flags, uint change)
        {
            Bytes([0, 0]); // AF_UNSPEC, padding
            U16(0); // device type
            U32((uint)index);
            U32(flags);
            U32(change);
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            foreach (var x in bytes)
            {
                _b.Add(x);
            }
        }

        public void U16(ushort v) => Bytes([(byte)v, (byte)(v >> 8)]);

        public void U32(uint v) => Bytes([(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)]);

        public void AttrBytes(ushort type, ReadOnlySpan<byte> value)
        {
            U16((ushort)(4 + value.Length));
            U16(type);
            Bytes(value);
            Pad();
        }

        public void AttrString(ushort type, string value) => AttrBytes(type, Encoding.ASCII.GetBytes(value + "\0"));

        public void AttrU32(ushort type, uint value) => AttrBytes(type, [(byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24)]);

        public int BeginNested(ushort type)
        {
            var start = _b.Count;
            U16(0);
            U16(type);
            return start;
        }

        public void EndNested(int start)
        {
            var len = _b.Count - start;
            _b[start] = (byte)len;
            _b[start + 1] = (byte)(len >> 8);
        }

        public byte[] Finish(uint seq)
        {
            var a = _b.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(a, (uint)a.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(a.AsSpan(8), seq);
            return a;
        }

        private void Pad()
        {
            while (_b.Count % 4 != 0)
            {
                _b.Add(0);
            }
        }
    }

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetSockOpt(int fd, int level, int name, ref int value, int len);

    [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetSockOptTimeval(int fd, int level, int name, long[] value, int len);

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Send(int fd, byte[] buf, nint len, int flags);

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Recv(int fd, byte[] buf, nint len, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
