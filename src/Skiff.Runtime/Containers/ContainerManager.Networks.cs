using Skiff.Api;
using Skiff.Runtime.Networking;

namespace Skiff.Runtime.Containers;

public sealed partial class ContainerManager
{
    public async Task ConnectAsync(string idOrName, string network, EndpointSettings? settings, CancellationToken ct)
    {
        var e = Find(idOrName);
        if (_network is not NetworkManager nm)
        {
            throw new BadRequestException("network connect is not available");
        }

        await e.Lock.WaitAsync(ct);
        try
        {
            await nm.ConnectAsync(e.Record, network, settings, ct);
            Save(e.Record);
        }
        finally
        {
            e.Lock.Release();
        }
    }

    public async Task DisconnectAsync(string idOrName, string network, CancellationToken ct)
    {
        var e = Find(idOrName);
        if (_network is not NetworkManager nm)
        {
            throw new BadRequestException("network disconnect is not available");
        }

        await e.Lock.WaitAsync(ct);
        try
        {
            await nm.DisconnectAsync(e.Record, network, ct);
            Save(e.Record);
        }
        finally
        {
            e.Lock.Release();
        }
    }
}
