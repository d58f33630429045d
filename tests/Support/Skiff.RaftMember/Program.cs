// One member of a replicated Skiff store, driven over stdin/stdout by the crash tests:
//   put <id>          propose creating a secret named <id>; answers "ack <id>" once committed and applied
//                     here, or "nack <id> <reason>"
//   add <ip:port>     (leader) add a member; answers "added <ip:port>" or "error <reason>"
//   state             answers "state <index> <sha256 of the store's canonical snapshot> <leader:yes|no>"
//   ids               answers "ids <id> <id> ..." (every secret in the store)
// Killed with SIGKILL by the tests; restarted on the same data directory.
using System.Net;
using System.Security.Cryptography;
using Skiff.State;
using Skiff.State.Raft;

string? data = null, endpoint = null, join = null;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--data": data = args[i + 1]; break;
        case "--endpoint": endpoint = args[i + 1]; break;
        case "--join": join = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

if (data is null || endpoint is null)
{
    Console.Error.WriteLine("usage: --data DIR --endpoint IP:PORT [--join CLUSTER-ID]");
    return 2;
}

await using var raft = await RaftStore.StartAsync(new RaftStoreOptions
{
    DataDirectory = data,
    EndPoint = IPEndPoint.Parse(endpoint),
    JoinClusterId = join,
});
var output = new SemaphoreSlim(1, 1);
async Task SayAsync(string line)
{
    await output.WaitAsync();
    try
    {
        await Console.Out.WriteLineAsync(line);
        await Console.Out.FlushAsync();
    }
    finally
    {
        output.Release();
    }
}

await SayAsync("ready " + raft.ClusterId);
var pending = new List<Task>();
while (await Console.In.ReadLineAsync() is { } line)
{
    var parts = line.Split(' ', 2);
    switch (parts[0])
    {
        case "put":
            var id = parts[1];
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    await raft.UpdateAsync(tx => tx.Create(new Secret { Id = id, Spec = new SecretSpec { Name = id } }));
                    await SayAsync("ack " + id);
                }
                catch (Exception e)
                {
                    await SayAsync($"nack {id} {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                }
            }));
            break;
        case "add":
            try
            {
                await raft.AddMemberAsync(IPEndPoint.Parse(parts[1]));
                await SayAsync("added " + parts[1]);
            }
            catch (Exception e)
            {
                await SayAsync($"error {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            }

            break;
        case "state":
            var bytes = raft.Store.SnapshotBytes();
            await SayAsync($"state {raft.Store.Index} {Convert.ToHexStringLower(SHA256.HashData(bytes))} {(raft.IsLeader ? "yes" : "no")}");
            break;
        case "ids":
            await SayAsync("ids " + string.Join(' ', raft.Store.View(tx => tx.All<Secret>().Select(s => s.Id).ToList())));
            break;
        default:
            await SayAsync("error unknown command " + parts[0]);
            break;
    }
}

await Task.WhenAll(pending);
return 0;
