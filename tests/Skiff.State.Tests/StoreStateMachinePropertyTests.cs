using CsCheck;
using Skiff.Api;

namespace Skiff.State.Tests;

public sealed class StoreCommandPropertyTests
{
    private static readonly Gen<(int Op, int Id, int Name, int N)> GenOp =
        Gen.Select(Gen.Int[0, 6], Gen.Int[0, 4], Gen.Int[0, 3], Gen.Int[0, 5]);

    private static readonly Gen<(int Op, int Id, int Name, int N)[]> GenOps = GenOp.Array[0, 60];

    /// <summary>Turns random operations into the commands a leader would propose (and applies them locally).</summary>
    private static List<StoreCommand> Propose(MemoryStore store, (int Op, int Id, int Name, int N)[] ops, FakeTime time)
    {
        var commands = new List<StoreCommand>();
        foreach (var (op, id, name, n) in ops)
        {
            time.Advance(TimeSpan.FromSeconds(n + 1));
            try
            {
                var command = store.Prepare(tx => Write(tx, op, $"s{id}", $"name{name}", n));
                commands.Add(command);
                store.Apply(command);
            }
            catch (SkiffException)
            {
                // Refused writes (conflicts, stale versions, missing objects) are part of the mix.
            }
        }

        return commands;
    }

    private static void Write(WriteTx tx, int op, string id, string name, int n)
    {
        switch (op)
        {
            case 0:
                tx.Create(Objects.Service(id, name, (ulong)n));
                break;
            case 1 when tx.Get<Service>(id) is { } s:
                tx.Update(s.WithSpec((ulong)n, name));
                break;
            case 2:
                tx.Delete<Service>(id);
                break;
            case 3:
                tx.Create(Objects.Task("t" + id + name, id, n, n % 2 == 0 ? null : "node" + n));
                break;
            case 4:
                foreach (var t in tx.TasksByService(id))
                {
                    tx.Update(t with { DesiredState = TaskState.Shutdown, NodeId = "node" + n });
                }

                break;
            case 5:
                tx.Create(new Secret { Id = id, Spec = new SecretSpec { Name = name, Data = [(byte)n, 1, 2] } });
                break;
            default:
                // A stale update: always refused once the object has been written since creation.
                if (tx.Get<Service>(id) is { Meta.Version: > 1 } stale)
                {
                    tx.Update(stale with { Meta = stale.Meta with { Version = stale.Meta.Version - 1 } });
                }

                break;
        }
    }

    private static MemoryStore Replay(IEnumerable<StoreCommand> commands, bool twice)
    {
        var replica = new MemoryStore(new FakeTime(Objects.Epoch.AddYears(5)));
        foreach (var command in commands)
        {
            // Replicas see the command only as bytes.
            var copy = StoreSerializer.DeserializeCommand(StoreSerializer.SerializeCommand(command));
            ApplyLikeStateMachine(replica, copy);
            if (twice)
            {
                ApplyLikeStateMachine(replica, copy);
            }
        }

        return replica;
    }

    private static void ApplyLikeStateMachine(MemoryStore store, StoreCommand command)
    {
        try
        {
            store.Apply(command);
        }
        catch (SkiffException)
        {
            // A command refused at apply is refused identically everywhere.
        }
    }

    [Fact]
    public void Apply_CommandsReplayedOnAReplica_GiveTheLeadersState()
    {
        GenOps.Sample(ops =>
        {
            var leader = new MemoryStore(new FakeTime(Objects.Epoch));
            var commands = Propose(leader, ops, new FakeTime(Objects.Epoch));
            var replica = Replay(commands, twice: false);
            Assert.Equal(leader.SnapshotBytes(), replica.SnapshotBytes());
        });
    }

    [Fact]
    public void Apply_EveryCommandTwice_IsIdempotent()
    {
        GenOps.Sample(ops =>
        {
            var leader = new MemoryStore(new FakeTime(Objects.Epoch));
            var commands = Propose(leader, ops, new FakeTime(Objects.Epoch));
            Assert.Equal(Replay(commands, twice: false).SnapshotBytes(), Replay(commands, twice: true).SnapshotBytes());
        });
    }

    [Fact]
    public void RestoreSnapshot_AfterRandomCommands_GivesAnEqualStoreThatEvolvesIdentically()
    {
        Gen.Select(GenOps, GenOps).Sample((before, after) =>
        {
            var time = new FakeTime(Objects.Epoch);
            var original = new MemoryStore(time);
            Propose(original, before, time);
            using var stream = new MemoryStream();
            original.WriteSnapshotAsync(stream).GetAwaiter().GetResult();
            stream.Position = 0;
            var restored = new MemoryStore(time);
            restored.RestoreSnapshotAsync(stream).GetAwaiter().GetResult();
            Assert.Equal(original.SnapshotBytes(), restored.SnapshotBytes());
            Assert.Equal(original.Index, restored.Index);

            // Same commands after the snapshot (including re-sent old ones) keep them equal.
            var later = Propose(original, after, time);
            foreach (var command in later)
            {
                ApplyLikeStateMachine(restored, command);
            }

            Assert.Equal(original.SnapshotBytes(), restored.SnapshotBytes());
            Assert.Equal(
                original.View(tx => tx.TasksByDesiredState(TaskState.Shutdown).Select(t => t.Id).ToList()),
                restored.View(tx => tx.TasksByDesiredState(TaskState.Shutdown).Select(t => t.Id).ToList()));
        });
    }
}
