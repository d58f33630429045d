using System.Collections.Immutable;
using Skiff.Api;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Manager.ControlApi;

/// <summary>
/// Swarm-scoped (overlay) network objects: created, listed, inspected and removed through the Raft store, and
/// referenced by services, so that the stock CLI's `docker stack deploy` (which creates `STACK_default` first)
/// works. The data plane (VXLAN between nodes, VIPs) comes with the networking issue: until then a task of a
/// service on such a network is attached to its node's default bridge, which `docs/architecture.md` states.
/// </summary>
public sealed partial class ControlApi
{
    public async Task<string> CreateNetworkAsync(NetworkCreateRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw new BadRequestException("network name is required");
        }

        var driver = string.IsNullOrEmpty(request.Driver) ? "overlay" : request.Driver;
        if (driver != "overlay")
        {
            throw new BadRequestException($"rpc error: code = InvalidArgument desc = network driver \"{driver}\" cannot create swarm-scoped networks: use overlay");
        }

        if (request.EnableIPv6)
        {
            throw new BadRequestException("IPv6 networks are not supported by skiffd");
        }

        if (request.Ingress)
        {
            throw new BadRequestException("ingress networks are not supported yet: the routing mesh comes with overlay networking");
        }

        if (request.IPAM?.Config is { Count: > 0 })
        {
            throw new BadRequestException("subnets for overlay networks are not supported yet: the overlay data plane comes with the networking work");
        }

        var id = SwarmIds.New();
        await WriteAsync(tx =>
        {
            if (tx.All<Network>().Any(n => n.Spec.Name == request.Name))
            {
                throw new ConflictException($"network with name {request.Name} already exists");
            }

            tx.Create(new Network
            {
                Id = id,
                Spec = new NetworkSpec
                {
                    Name = request.Name,
                    Driver = driver,
                    Attachable = request.Attachable,
                    Labels = (request.Labels ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal),
                },
            });
        }, ct);
        return id;
    }

    public IReadOnlyList<Network> ListNetworks() => Store.View(tx => tx.All<Network>().ToList());

    /// <summary>By id, name or unique id prefix; null when there is none (the caller then tries local networks).</summary>
    public Network? FindNetwork(string idOrName)
    {
        try
        {
            return Store.View(tx => Resolve(tx, idOrName, tx.All<Network>(), n => n.Spec.Name, "network"));
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    public async Task RemoveNetworkAsync(string idOrName, CancellationToken ct)
    {
        await WriteAsync(tx =>
        {
            var network = Resolve(tx, idOrName, tx.All<Network>(), n => n.Spec.Name, "network");
            var user = tx.All<Service>().FirstOrDefault(s => (s.Spec.TaskTemplate.Networks ?? []).Any(a => a.Target == network.Id));
            if (user is not null)
            {
                throw new ConflictException($"rpc error: code = FailedPrecondition desc = network {network.Id} is in use by service {user.Id}");
            }

            tx.Delete<Network>(network.Id);
        }, ct);
    }

    /// <summary>The Engine API shape of a swarm network (scope swarm, no containers: they are on each node).</summary>
    public static NetworkResource NetworkResource(Network n)
    {
        ArgumentNullException.ThrowIfNull(n);
        return new NetworkResource
        {
            Name = n.Spec.Name,
            Id = n.Id,
            Created = Rfc3339.Format(n.Meta.CreatedAt),
            Scope = "swarm",
            Driver = n.Spec.Driver,
            Attachable = n.Spec.Attachable,
            Ingress = n.Spec.Ingress,
            IPAM = new Ipam { Driver = "default", Config = [] },
            Labels = n.Spec.Labels.ToDictionary(StringComparer.Ordinal),
            Options = new Dictionary<string, string> { ["com.docker.network.driver.overlay.vxlanid_list"] = "" },
        };
    }

    /// <summary>Service network targets to network ids (names are accepted, as dockerd accepts them); unknown ones are 404.</summary>
    private static void ResolveNetworks(ReadTx tx, ServiceSpecWire spec)
    {
        foreach (var attachment in spec.TaskTemplate.Networks ?? [])
        {
            var network = tx.Get<Network>(attachment.Target)
                ?? tx.All<Network>().FirstOrDefault(n => n.Spec.Name == attachment.Target)
                ?? throw new NotFoundException($"network {attachment.Target} not found");
            attachment.Target = network.Id;
        }
    }
}
