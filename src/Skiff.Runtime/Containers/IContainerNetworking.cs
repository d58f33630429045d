namespace Skiff.Runtime.Containers;

/// <summary>
/// What the container lifecycle needs from networking: checked at create, set up before runc create,
/// torn down when the container stops. Implemented over Skiff.Network (bridges, veth, nftables, DNS).
/// </summary>
public interface IContainerNetworking
{
    /// <summary>Throws NotFoundException / BadRequestException for unknown networks or bad settings at create time.
    /// Fills <see cref="ContainerRecord.Networks"/> with the networks the container will join (no addresses yet).</summary>
    void PrepareCreate(ContainerRecord container);

    /// <summary>Makes the network namespace and endpoints; fills NetnsPath, addresses, Ports, HostVeths.</summary>
    Task AttachAsync(ContainerRecord container, CancellationToken ct);

    /// <summary>Releases addresses, veths, published ports and the namespace. Must be idempotent.</summary>
    Task DetachAsync(ContainerRecord container, CancellationToken ct);

    /// <summary>The container's /etc/resolv.conf text.</summary>
    string ResolvConf(ContainerRecord container);

    /// <summary>Extra /etc/hosts lines (other containers are resolved by DNS, not here).</summary>
    IEnumerable<string> HostsEntries(ContainerRecord container);

    /// <summary>Called when a container is removed or renamed so DNS forgets or updates it.</summary>
    void Forget(ContainerRecord container);
}
