using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Grpc.Core;
using Skiff.Agent;
using Skiff.Agent.Executors;
using Skiff.Api;
using Skiff.Manager;
using Skiff.Manager.ControlApi;
using Skiff.Manager.Dispatch.Proto;
using Skiff.Manager.Security;
using Skiff.Runtime.Util;
using Skiff.State;

namespace Skiff.Daemon.Swarm;

/// <summary>What a node remembers of its swarm membership (swarm/state.json), besides its certificates.</summary>
public sealed class SwarmNodeState
{
    public string NodeId { get; set; } = "";
    public string Role { get; set; } = "worker";
    public string ListenAddr { get; set; } = "";
    public string AdvertiseAddr { get; set; } = "";
    public List<string> Managers { get; set; } = [];
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(SwarmNodeState))]
internal sealed partial class SwarmStateJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>
/// This engine's part in a swarm: init, join, leave, the agent (always) and the manager (on
/// managers). State lives under <c>data-root/swarm</c>: state.json, the node certificate and key,
/// the root CA certificate, and on managers the Raft directory.
/// </summary>
public sealed class SwarmNode(Engine engine, ILoggerFactory logs) : IAsyncDisposable
{
    public const string NotManager = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";
    public const string NotInSwarm = "This node is not part of a swarm";
    public const string AlreadyInSwarm = "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.";
    public const int DefaultPort = 2377;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ILogger _log = logs.CreateLogger("Skiff.Swarm");
    private SwarmNodeState? _state;
    private SwarmManager? _manager;
    private Skiff.Agent.Agent? _agent;
    private CancellationTokenSource? _renewal;
    private Task _renewing = Task.CompletedTask;

    private string Dir => Path.Combine(engine.Options.DataRoot, "swarm");

    private string StatePath => Path.Combine(Dir, "state.json");

    private string CertDir => Path.Combine(Dir, "certificates");

    public bool IsActive => _state is not null;

    public bool IsManager => _manager is not null;

    /// <summary>The control API, or Docker's 503 when this node is not a manager.</summary>
    public ControlApi Control => _manager?.Control ?? throw new SkiffException(503, NotManager);

    public string Hostname => engine.Options.NodeHostname ?? Dns.GetHostName();

    /// <summary>The manager's log broker, or Docker's 503 when this node is not a manager.</summary>
    public Skiff.Manager.Dispatch.LogBroker LogBroker => _manager?.Dispatcher.Logs ?? throw new SkiffException(503, NotManager);

    /// <summary>Resumes membership after a daemon restart.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (!File.Exists(StatePath))
        {
            return;
        }

        _state = JsonSerializer.Deserialize(await File.ReadAllTextAsync(StatePath, ct), SwarmStateJson.Default.SwarmNodeState);
        if (_state is null)
        {
            return;
        }

        var root = RootCa.FromPem(await File.ReadAllTextAsync(Path.Combine(CertDir, "swarm-root-ca.crt"), ct));
        var certificate = LoadNodeCertificate();
        if (_state.Role == "manager")
        {
            var caKey = await File.ReadAllTextAsync(Path.Combine(CertDir, "swarm-root-ca.key"), ct);
            await StartManagerAsync(RootCa.FromPem(root.ExportCertificatePem(), caKey), certificate, null, ct);
        }

        StartAgent(root, certificate);
    }

    public SwarmInfo Info()
    {
        var state = _state;
        if (state is null)
        {
            return new SwarmInfo { LocalNodeState = "inactive", RemoteManagers = null };
        }

        var info = new SwarmInfo
        {
            NodeID = state.NodeId,
            NodeAddr = HostOf(state.AdvertiseAddr),
            LocalNodeState = _agent is { IsConnected: true } || _manager is not null ? "active" : "pending",
            ControlAvailable = _manager is not null,
            RemoteManagers = [.. state.Managers.Select(m => new PeerNode { NodeID = "", Addr = m })],
        };
        if (_manager is not null)
        {
            try
            {
                var (nodes, managers, cluster) = _manager.Store.Store.View(tx => (
                    tx.Count<Node>(),
                    tx.All<Node>().Count(n => n.ObservedRole == NodeRole.Manager),
                    tx.All<Cluster>().FirstOrDefault()));
                info.Nodes = nodes;
                info.Managers = managers;
                info.Cluster = cluster is null ? null : WireConvert.ClusterInfo(cluster);
                info.RemoteManagers = [new PeerNode { NodeID = state.NodeId, Addr = state.AdvertiseAddr }];
            }
            catch (SkiffException e)
            {
                info.Error = e.Message;
            }
        }

        return info;
    }

    public async Task<string> InitAsync(SwarmInitRequest request, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        var started = false;
        try
        {
            if (_state is not null)
            {
                throw new SkiffException(503, AlreadyInSwarm);
            }

            if (request.ForceNewCluster)
            {
                throw new BadRequestException("--force-new-cluster is not supported by skiffd yet (it recovers a manager quorum, which needs several managers)");
            }

            if (request.AutoLockManagers || request.Spec?.EncryptionConfig?.AutoLockManagers == true)
            {
                throw new BadRequestException("--autolock is not supported by skiffd yet");
            }

            var listen = ParseListen(request.ListenAddr);
            var advertise = ResolveAdvertise(request.AdvertiseAddr, listen);
            var spec = ClusterSpecFrom(request.Spec);
            var pool = request.DefaultAddrPool is { Count: > 0 } p ? p : ["10.0.0.0/8"];
            foreach (var cidr in pool)
            {
                if (!IPNetwork.TryParse(cidr, out _))
                {
                    throw new BadRequestException($"invalid default address pool {cidr}: use CIDR notation such as 10.20.0.0/16");
                }
            }

            var subnet = request.SubnetSize == 0 ? 24u : request.SubnetSize;
            if (subnet is < 16 or > 28)
            {
                throw new BadRequestException($"invalid subnet size {subnet}: must be between 16 and 28");
            }

            var availability = ParseAvailability(request.Availability);
            using var root = RootCa.Create();
            var nodeId = SwarmIds.New();
            var clusterId = SwarmIds.New();
            var certificate = Exportable(root.IssueNodeCertificateWithKey(nodeId, NodeRole.Manager, clusterId, spec.NodeCertExpiry));
            var state = new SwarmNodeState
            {
                NodeId = nodeId,
                Role = "manager",
                ListenAddr = $"{listen.Address}:{listen.Port}",
                AdvertiseAddr = advertise,
                Managers = [advertise],
            };

            var bootstrap = new ClusterBootstrap
            {
                Hostname = Hostname,
                ClusterId = clusterId,
                Spec = spec,
                DefaultAddrPool = pool,
                SubnetSize = subnet,
                DataPathPort = request.DataPathPort == 0 ? 4789 : request.DataPathPort,
                Availability = availability,
            };
            started = true;
            Directory.CreateDirectory(CertDir);
            var signing = RootCa.FromPem(root.ExportCertificatePem(), root.ExportPrivateKeyPem());
            await StartManagerAsync(signing, certificate, bootstrap, ct, listen, advertise, nodeId);
            await SaveAsync(state, signing.ExportCertificatePem(), certificate, signing.ExportPrivateKeyPem(), ct);
            _state = state;
            StartAgent(signing, certificate);
            await WaitConnectedAsync(ct);
            return nodeId;
        }
        catch when (started)
        {
            // Nothing half-made stays: no manager, no agent, no swarm directory.
            await StopAsync(removeTasks: false);
            _state = null;
            if (Directory.Exists(Dir))
            {
                Directory.Delete(Dir, recursive: true);
            }

            throw;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task JoinAsync(SwarmJoinRequest request, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (_state is not null)
            {
                throw new SkiffException(503, AlreadyInSwarm);
            }

            if (request.RemoteAddrs.Count == 0)
            {
                throw new BadRequestException("at least 1 RemoteAddr is required to join");
            }

            if (!JoinToken.TryParse(request.JoinToken, out var token) || token is null)
            {
                throw new BadRequestException("invalid join token: it must look like SWMTKN-1-<digest>-<secret> (docker swarm join-token worker)");
            }

            var listen = ParseListen(request.ListenAddr);
            var advertise = ResolveAdvertise(request.AdvertiseAddr, listen);
            var manager = WithPort(request.RemoteAddrs[0]);
            _ = ParseAvailability(request.Availability); // refused here; the manager applies it

            // 1. Fetch the root CA over TLS without trusting it yet, and check it against the token.
            byte[] rootDer;
            try
            {
                using var insecure = SwarmChannel.Create(manager, new System.Net.Security.SslClientAuthenticationOptions
                {
                    TargetHost = MutualTls.ManagerHostName,
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                });
                rootDer = (await new Ca.CaClient(insecure).GetRootCertificateAsync(new RootCertificateRequest(), deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: ct)).CertificateDer.ToByteArray();
            }
            catch (RpcException e)
            {
                throw new SkiffException(500, $"could not reach the manager at {manager}: {e.Status.Detail}");
            }

            if (!token.VerifiesCa(rootDer))
            {
                throw new SkiffException(500, $"error while validating Root CA Certificate: remote CA does not match fingerprint. Expected: {token.CaDigest}");
            }

            var root = RootCa.FromPem(PemEncoding.WriteString("CERTIFICATE", rootDer));

            // 2. Present the token with a CSR, now trusting only that root.
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = new CertificateRequest("CN=" + RootCa.CommonName, key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            IssueNodeCertificateResponse issued;
            try
            {
                using var verified = SwarmChannel.Create(manager, new System.Net.Security.SslClientAuthenticationOptions
                {
                    TargetHost = MutualTls.ManagerHostName,
                    CertificateChainPolicy = root.CreateChainPolicy(),
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                        errors == System.Net.Security.SslPolicyErrors.None && certificate is X509Certificate2 c && IsManagerCertificate(root, c),
                });
                issued = await new Ca.CaClient(verified).IssueNodeCertificateAsync(
                    new IssueNodeCertificateRequest { Token = request.JoinToken, CsrPem = csr, Hostname = Hostname, Availability = request.Availability ?? "" },
                    deadline: DateTime.UtcNow.AddSeconds(30),
                    cancellationToken: ct);
            }
            catch (RpcException e)
            {
                throw new SkiffException(e.StatusCode == StatusCode.InvalidArgument ? 400 : 500, $"rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");
            }

            using var pub = X509Certificate2.CreateFromPem(issued.CertificatePem);
            var certificate = Exportable(pub.CopyWithPrivateKey(key));
            var state = new SwarmNodeState
            {
                NodeId = issued.NodeId,
                Role = issued.Role,
                ListenAddr = $"{listen.Address}:{listen.Port}",
                AdvertiseAddr = advertise,
                Managers = issued.Managers.Count > 0 ? [.. issued.Managers] : [manager],
            };
            Directory.CreateDirectory(CertDir);
            await SaveAsync(state, root.ExportCertificatePem(), certificate, null, ct);
            _state = state;
            StartAgent(root, certificate);
            await WaitConnectedAsync(ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task LeaveAsync(bool force, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (_state is null)
            {
                throw new SkiffException(503, NotInSwarm);
            }

            if (_manager is not null && !force)
            {
                throw new SkiffException(503, "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.");
            }

            await StopAsync(removeTasks: true);
            Directory.Delete(Dir, recursive: true);
            _state = null;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task StopAsync(bool removeTasks)
    {
        if (_renewal is not null)
        {
            await _renewal.CancelAsync();
            try
            {
                await _renewing;
            }
            catch (OperationCanceledException)
            {
            }

            _renewal.Dispose();
            _renewal = null;
        }

        if (_agent is not null)
        {
            if (removeTasks)
            {
                await _agent.RemoveAllTasksAsync(CancellationToken.None);
            }

            await _agent.DisposeAsync();
            _agent = null;
        }

        if (_manager is not null)
        {
            await _manager.DisposeAsync();
            _manager = null;
        }
    }

    private async Task StartManagerAsync(RootCa root, X509Certificate2 certificate, ClusterBootstrap? bootstrap, CancellationToken ct,
        IPEndPoint? listen = null, string? advertise = null, string? nodeId = null)
    {
        var state = _state;
        _manager = await SwarmManager.StartAsync(new ManagerOptions
        {
            DataDirectory = Dir,
            ListenEndPoint = listen ?? ParseListen(state!.ListenAddr),
            AdvertiseAddress = advertise ?? state!.AdvertiseAddr,
            NodeId = nodeId ?? state!.NodeId,
            NodeCertificate = certificate,
            Root = root,
            Logs = logs,
        }, bootstrap, ct);
    }

    private void StartAgent(RootCa root, X509Certificate2 certificate)
    {
        var state = _state!;
        var description = new Skiff.Manager.Dispatch.Proto.NodeDescription
        {
            Hostname = Hostname,
            Os = "linux",
            Architecture = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64",
            NanoCpus = Environment.ProcessorCount * 1_000_000_000L,
            MemoryBytes = engine.Info().MemTotal,
            EngineVersion = Api.SystemEndpoints.EngineVersion,
        };
        _agent = new Skiff.Agent.Agent(new AgentOptions
        {
            NodeId = state.NodeId,
            Managers = state.Managers,
            Certificate = certificate,
            Root = root,
            Description = description,
            Logs = logs,
        }, new EngineExecutor(engine.Containers, engine.Images, Path.Combine(engine.Options.ExecRoot, "swarm-files"), engine.Options.MaxConcurrentStarts));
        _agent.Start();
        if (_renewal is null)
        {
            _renewal = new CancellationTokenSource();
            _renewing = RenewLoopAsync(root, _renewal.Token);
        }

        _certificate = certificate;
    }

    private X509Certificate2? _certificate;

    /// <summary>Renew at half of the certificate's life (swarmkit renews in the second half, with jitter).</summary>
    public static bool NeedsRenewal(X509Certificate2 certificate, DateTimeOffset now)
    {
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        return now >= notBefore + ((notAfter - notBefore) / 2);
    }

    /// <summary>Checks the node certificate every minute; once it is half-way through its life, gets a new one and restarts the agent with it.</summary>
    private async Task RenewLoopAsync(RootCa root, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(1), ct);
                if (_certificate is { } current && _state is { } state && NeedsRenewal(current, DateTimeOffset.UtcNow))
                {
                    await _lock.WaitAsync(ct);
                    try
                    {
                        await RenewAsync(root, current, state, ct);
                    }
                    finally
                    {
                        _lock.Release();
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or IOException or SkiffException or CryptographicException)
            {
                _log.LogWarning("node certificate renewal failed, will retry: {Message}", ex.Message);
            }
        }
    }

    private async Task RenewAsync(RootCa root, X509Certificate2 current, SwarmNodeState state, CancellationToken ct)
    {
        X509Certificate2 renewed;
        if (_manager is not null)
        {
            // A manager holds the CA key: it signs its own, as swarmkit's managers do.
            var caKey = await File.ReadAllTextAsync(Path.Combine(CertDir, "swarm-root-ca.key"), ct);
            using var signing = RootCa.FromPem(root.ExportCertificatePem(), caKey);
            var clusterId = _manager.Store.Store.View(tx => tx.All<Cluster>().First());
            renewed = Exportable(signing.IssueNodeCertificateWithKey(state.NodeId, NodeRole.Manager, clusterId.Id, clusterId.Spec.NodeCertExpiry));
        }
        else
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = new CertificateRequest("CN=" + RootCa.CommonName, key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            using var channel = SwarmChannel.Create(state.Managers[0], MutualTls.ClientOptions(current, root));
            var issued = await new Ca.CaClient(channel).RenewNodeCertificateAsync(new RenewNodeCertificateRequest { CsrPem = csr }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct);
            using var pub = X509Certificate2.CreateFromPem(issued.CertificatePem);
            renewed = Exportable(pub.CopyWithPrivateKey(key));
        }

        await SaveAsync(state, root.ExportCertificatePem(), renewed, null, ct);
        _log.LogInformation("node certificate renewed; valid until {NotAfter:u}", renewed.NotAfter.ToUniversalTime());
        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        StartAgent(root, renewed);
    }

    private async Task WaitConnectedAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await _agent!.Connected.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SkiffException(500, "timeout waiting for the node's agent to reach a manager (30 s): check that the manager's swarm port is reachable from this node");
        }
    }

    private async Task SaveAsync(SwarmNodeState state, string rootPem, X509Certificate2 certificate, string? caKeyPem, CancellationToken ct)
    {
        Directory.CreateDirectory(CertDir);
        AtomicFile.WriteAllText(Path.Combine(CertDir, "swarm-root-ca.crt"), rootPem);
        AtomicFile.WriteAllText(Path.Combine(CertDir, "swarm-node.crt"), certificate.ExportCertificatePem());
        AtomicFile.WriteAllText(Path.Combine(CertDir, "swarm-node.key"), certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(Path.Combine(CertDir, "swarm-node.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (caKeyPem is not null)
        {
            AtomicFile.WriteAllText(Path.Combine(CertDir, "swarm-root-ca.key"), caKeyPem);
            File.SetUnixFileMode(Path.Combine(CertDir, "swarm-root-ca.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        AtomicFile.WriteAllText(StatePath, JsonSerializer.Serialize(state, SwarmStateJson.Default.SwarmNodeState));
        await Task.CompletedTask.WaitAsync(ct);
    }

    private X509Certificate2 LoadNodeCertificate() =>
        Exportable(X509Certificate2.CreateFromPemFile(Path.Combine(CertDir, "swarm-node.crt"), Path.Combine(CertDir, "swarm-node.key")));

    /// <summary>SslStream on Linux wants a certificate whose key came from PKCS#12, not an ephemeral one.</summary>
    private static X509Certificate2 Exportable(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        }
    }

    private static bool IsManagerCertificate(RootCa root, X509Certificate2 certificate)
    {
        try
        {
            return root.Validate(certificate).Role == NodeRole.Manager;
        }
        catch (NodeCertificateException)
        {
            return false;
        }
    }

    private static ClusterSpec ClusterSpecFrom(SwarmSpec? spec)
    {
        var s = new ClusterSpec();
        if (spec?.Orchestration?.TaskHistoryRetentionLimit is { } limit)
        {
            s = s with { TaskHistoryRetentionLimit = (int)Math.Clamp(limit, -1, int.MaxValue) };
        }

        if (spec?.Dispatcher?.HeartbeatPeriod is { } hb and > 0)
        {
            s = s with { DispatcherHeartbeat = TimeSpan.FromTicks(hb / 100) };
        }

        if (spec?.CAConfig?.NodeCertExpiry is { } expiry and > 0)
        {
            var value = TimeSpan.FromTicks(expiry / 100);
            if (value < TimeSpan.FromHours(1))
            {
                throw new BadRequestException("invalid --cert-expiry: minimum certificate expiry time is 1h0m0s");
            }

            s = s with { NodeCertExpiry = value };
        }

        if (spec?.Labels is { } labels)
        {
            s = s with { Labels = labels.ToImmutableSortedDictionary(StringComparer.Ordinal) };
        }

        return s;
    }

    private static NodeAvailability ParseAvailability(string? a) => a switch
    {
        null or "" or "active" => NodeAvailability.Active,
        "pause" => NodeAvailability.Pause,
        "drain" => NodeAvailability.Drain,
        _ => throw new BadRequestException($"invalid availability {a}: must be active, pause or drain"),
    };

    private static IPEndPoint ParseListen(string? listen)
    {
        if (string.IsNullOrEmpty(listen))
        {
            return new IPEndPoint(IPAddress.Any, DefaultPort);
        }

        var text = WithPort(listen);
        if (!IPEndPoint.TryParse(text, out var ep))
        {
            throw new BadRequestException($"invalid listen address {listen}: use IP[:PORT] (interface names are not supported yet)");
        }

        return ep;
    }

    private static string WithPort(string addr) =>
        addr.Contains(':', StringComparison.Ordinal) && !addr.EndsWith(']') ? addr : addr + ":" + DefaultPort;

    private static string HostOf(string hostPort) => hostPort[..hostPort.LastIndexOf(':')];

    /// <summary>The advertised host:port: given, else the listen IP, else the address of the interface holding the default route.</summary>
    private static string ResolveAdvertise(string? advertise, IPEndPoint listen)
    {
        if (!string.IsNullOrEmpty(advertise))
        {
            var text = WithPort(advertise);
            if (!IPEndPoint.TryParse(text, out var ep))
            {
                throw new BadRequestException($"invalid advertise address {advertise}: use IP[:PORT] (interface names are not supported yet)");
            }

            return $"{ep.Address}:{(advertise.Contains(':', StringComparison.Ordinal) ? ep.Port : listen.Port)}";
        }

        if (!listen.Address.Equals(IPAddress.Any))
        {
            return $"{listen.Address}:{listen.Port}";
        }

        var candidates = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .Where(i => i.GetIPProperties().GatewayAddresses.Any(g => g.Address.AddressFamily == AddressFamily.InterNetwork))
            .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(u => u.Address).Where(a => a.AddressFamily == AddressFamily.InterNetwork))
            .Distinct()
            .ToList();
        return candidates.Count switch
        {
            1 => $"{candidates[0]}:{listen.Port}",
            0 => throw new BadRequestException("could not find an address to advertise (no interface with a default route): use --advertise-addr"),
            _ => throw new BadRequestException($"could not choose an IP address to advertise since this system has multiple addresses ({string.Join(", ", candidates)}): use --advertise-addr"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(removeTasks: false);
        _lock.Dispose();
    }
}
