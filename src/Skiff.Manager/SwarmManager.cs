using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.Manager.Dispatch;
using Skiff.Manager.Orchestration;
using Skiff.Manager.Security;
using Skiff.State;
using Skiff.State.Raft;

namespace Skiff.Manager;

/// <summary>How a manager runs: where its Raft data lives, where it listens, who it is.</summary>
public sealed record ManagerOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>The swarm port listener (gRPC with mutual TLS), e.g. 0.0.0.0:2377.</summary>
    public required IPEndPoint ListenEndPoint { get; init; }

    /// <summary>host:port other nodes dial (ManagerStatus.Addr).</summary>
    public required string AdvertiseAddress { get; init; }

    public required string NodeId { get; init; }

    /// <summary>This manager's node certificate, with its private key.</summary>
    public required X509Certificate2 NodeCertificate { get; init; }

    public required RootCa Root { get; init; }

    public ILoggerFactory Logs { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>What <c>swarm init</c> sets in the new cluster.</summary>
public sealed record ClusterBootstrap
{
    public required string Hostname { get; init; }

    /// <summary>The cluster id (also the organisation of every node certificate).</summary>
    public required string ClusterId { get; init; }

    public ClusterSpec Spec { get; init; } = new();

    public IReadOnlyList<string> DefaultAddrPool { get; init; } = ["10.0.0.0/8"];

    public uint SubnetSize { get; init; } = 24;

    public uint DataPathPort { get; init; } = 4789;

    public NodeAvailability Availability { get; init; }
}

/// <summary>
/// One manager: the Raft-replicated store, the control API, and, while this node leads, the
/// orchestrator and the dispatcher's heartbeat monitor; the swarm port serves the CA and
/// dispatcher gRPC services with mutual TLS.
/// </summary>
public sealed class SwarmManager : IAsyncDisposable
{
    private readonly ManagerOptions _options;
    private readonly RaftStore _raft;
    private readonly WebApplication _grpc;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _log;
    private Task _leadership = Task.CompletedTask;

    private SwarmManager(ManagerOptions options, RaftStore raft, WebApplication grpc, Dispatcher dispatcher, CaService ca, ILogger log)
    {
        _options = options;
        _raft = raft;
        _grpc = grpc;
        Dispatcher = dispatcher;
        Ca = ca;
        _log = log;
        Control = new ControlApi.ControlApi(raft, () => raft.IsLeader ? options.NodeId : null, options.Time);
        Orchestrator = new Orchestrator(raft, options.Time, options.Logs.CreateLogger("Skiff.Orchestrator"));
    }

    public ControlApi.ControlApi Control { get; }

    public Orchestrator Orchestrator { get; }

    public Dispatcher Dispatcher { get; }

    public CaService Ca { get; }

    public IReplicatedStore Store => _raft;

    public string NodeId => _options.NodeId;

    public bool IsLeader => _raft.IsLeader;

    /// <summary>Starts a manager; with <paramref name="bootstrap"/> (swarm init) it creates the cluster and its own node.</summary>
    public static async Task<SwarmManager> StartAsync(ManagerOptions options, ClusterBootstrap? bootstrap, CancellationToken ct)
    {
        var log = options.Logs.CreateLogger("Skiff.Manager");
        var raftEndPoint = new IPEndPoint(AdvertisedIp(options), options.ListenEndPoint.Port + 1);
        var raft = await RaftStore.StartAsync(new RaftStoreOptions
        {
            DataDirectory = Path.Combine(options.DataDirectory, "raft"),
            EndPoint = raftEndPoint,
            Time = options.Time,
            LoggerFactory = options.Logs,
        }, ct);
        try
        {
            await raft.WaitForLeadershipAsync(TimeSpan.FromSeconds(30), ct);
            if (bootstrap is not null && raft.Store.View(tx => tx.Count<Cluster>()) == 0)
            {
                await CreateClusterAsync(raft, options, bootstrap, ct);
            }

            var dispatcher = new Dispatcher(raft, options.Root, options.Time, options.Logs.CreateLogger("Skiff.Dispatcher"));
            var ca = new CaService(raft, options.Root, options.Time, options.Logs.CreateLogger("Skiff.Ca"));
            IReadOnlyList<string> Managers() => [options.AdvertiseAddress];
            dispatcher.Managers = Managers;
            ca.Managers = Managers;
            var grpc = BuildGrpcHost(options, dispatcher, ca);
            await grpc.StartAsync(ct);
            var manager = new SwarmManager(options, raft, grpc, dispatcher, ca, log);
            manager._leadership = manager.LeadAsync(manager._stop.Token);
            return manager;
        }
        catch
        {
            await raft.DisposeAsync();
            throw;
        }
    }

    private static IPAddress AdvertisedIp(ManagerOptions options)
    {
        var host = options.AdvertiseAddress[..options.AdvertiseAddress.LastIndexOf(':')];
        return IPAddress.Parse(host.Trim('[', ']'));
    }

    private static async Task CreateClusterAsync(RaftStore raft, ManagerOptions options, ClusterBootstrap b, CancellationToken ct)
    {
        var tokens = JoinTokens.Generate(options.Root.Digest.Span);
        await raft.UpdateAsync(tx =>
        {
            tx.Create(new Cluster
            {
                Id = b.ClusterId,
                Spec = b.Spec,
                RootCaCertificatePem = options.Root.ExportCertificatePem(),
                RootCaKeyPem = options.Root.ExportPrivateKeyPem(),
                WorkerJoinToken = tokens.Worker.ToString(),
                ManagerJoinToken = tokens.Manager.ToString(),
                DefaultAddrPool = [.. b.DefaultAddrPool],
                SubnetSize = b.SubnetSize,
                DataPathPort = b.DataPathPort,
            });
            tx.Create(new Node
            {
                Id = options.NodeId,
                Hostname = b.Hostname,
                Spec = new Skiff.State.NodeSpec { Role = NodeRole.Manager, Availability = b.Availability },
                ObservedRole = NodeRole.Manager,
                ManagerAddr = options.AdvertiseAddress,
                State = NodeState.Unknown,
            });
        }, ct);
    }

    private static WebApplication BuildGrpcHost(ManagerOptions options, Dispatcher dispatcher, CaService ca)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options.Logs);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(dispatcher);
        builder.Services.AddSingleton(ca);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.ListenEndPoint, lo =>
        {
            lo.Protocols = HttpProtocols.Http2;
            lo.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = options.NodeCertificate,
                // A joining node has no certificate yet: the CA service allows that, everything else checks it.
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (certificate, _, _) =>
                {
                    try
                    {
                        options.Root.Validate(certificate);
                        return true;
                    }
                    catch (NodeCertificateException)
                    {
                        return false;
                    }
                },
            });
        }));
        var app = builder.Build();
        app.MapGrpcService<Dispatcher>();
        app.MapGrpcService<CaService>();
        return app;
    }

    /// <summary>While this node leads, runs the orchestrator and the heartbeat monitor.</summary>
    private async Task LeadAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _raft.WaitForLeadershipAsync(TimeSpan.FromDays(1), ct);
                using var lead = CancellationTokenSource.CreateLinkedTokenSource(ct, _raft.LeadershipToken);
                _log.LogInformation("leading: control loops started");
                var loops = new[] { Orchestrator.RunAsync(lead.Token), Dispatcher.MonitorAsync(lead.Token) };
                // The first loop to stop (lost leadership, or a bug) stops the other: never run half a control plane.
                var first = await Task.WhenAny(loops);
                await lead.CancelAsync();
                await Task.WhenAll(loops);
                await first;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (TimeoutException)
            {
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "control loops failed; restarting them");
                await Task.Delay(TimeSpan.FromMilliseconds(500), _options.Time, CancellationToken.None);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _leadership;
        }
        catch (OperationCanceledException)
        {
        }

        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _grpc.StopAsync(grace.Token);
        }

        await _grpc.DisposeAsync();
        await _raft.DisposeAsync();
        _stop.Dispose();
    }
}
