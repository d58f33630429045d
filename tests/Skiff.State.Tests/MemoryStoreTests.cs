namespace Skiff.State.Tests;

public sealed class MemoryStoreTests
{
    private readonly FakeTime _time = new(Objects.Epoch);

    private MemoryStore NewStore() => new(_time);

    [Fact]
    public void Update_Create_StampsVersionAndTimes()
    {
        var store = NewStore();
        var version = store.Update(tx => tx.Create(Objects.Service("s1", "web")));

        var service = store.View(tx => tx.Get<Service>("s1"));
        Assert.NotNull(service);
        Assert.Equal(1UL, version);
        Assert.Equal(1UL, service.Meta.Version);
        Assert.Equal(Objects.Epoch, service.Meta.CreatedAt);
        Assert.Equal(Objects.Epoch, service.Meta.UpdatedAt);
    }

    [Fact]
    public void Update_StaleVersion_ThrowsSequenceException()
    {
        var store = NewStore();
        store.Update(tx => tx.Create(Objects.Service("s1", "web")));
        var read = store.View(tx => tx.Get<Service>("s1"))!;
        store.Update(tx => tx.Update(read.WithSpec(3)));

        var ex = Assert.Throws<SequenceException>(() => store.Update(tx => tx.Update(read.WithSpec(5))));
        Assert.Equal("update out of sequence", ex.Message);
        Assert.Equal(500, ex.StatusCode);
        Assert.Equal(3UL, store.View(tx => tx.Get<Service>("s1"))!.Replicas);
    }

    [Fact]
    public void Update_FreshVersion_KeepsCreatedAtAndBumpsUpdatedAt()
    {
        var store = NewStore();
        store.Update(tx => tx.Create(Objects.Service("s1", "web")));
        _time.Advance(TimeSpan.FromMinutes(1));
        var read = store.View(tx => tx.Get<Service>("s1"))!;
        store.Update(tx => tx.Update(read.WithSpec(3)));

        var service = store.View(tx => tx.Get<Service>("s1"))!;
        Assert.Equal(2UL, service.Meta.Version);
        Assert.Equal(Objects.Epoch, service.Meta.CreatedAt);
        Assert.Equal(Objects.Epoch.AddMinutes(1), service.Meta.UpdatedAt);
    }

    [Fact]
    public void Create_DuplicateNameAnyCase_ThrowsNameConflict()
    {
        var store = NewStore();
        store.Update(tx => tx.Create(Objects.Service("s1", "web")));

        var ex = Assert.Throws<NameConflictException>(() => store.Update(tx => tx.Create(Objects.Service("s2", "WEB"))));
        Assert.Equal("name conflicts with an existing object: service WEB already exists", ex.Message);
        Assert.Equal(409, ex.StatusCode);
        Assert.Equal(1, store.View(tx => tx.Count<Service>()));
    }

    [Fact]
    public void Update_FailureMidTransaction_CommitsNothing()
    {
        var store = NewStore();
        store.Update(tx => tx.Create(Objects.Service("s1", "web")));

        Assert.Throws<NameConflictException>(() => store.Update(tx =>
        {
            tx.Create(Objects.Service("s2", "api"));
            tx.Create(Objects.Service("s3", "web"));
        }));

        Assert.Null(store.View(tx => tx.Get<Service>("s2")));
        Assert.Equal(1UL, store.Index);
    }

    [Fact]
    public void Delete_Missing_ThrowsNotFound()
    {
        var store = NewStore();
        Assert.Throws<ObjectNotFoundException>(() => store.Update(tx => tx.Delete<Service>("nope")));
    }

    [Fact]
    public void Indexes_TasksMovedAndDeleted_FollowTheChanges()
    {
        var store = NewStore();
        store.Update(tx =>
        {
            tx.Create(Objects.Task("t1", "s1", 1, "n1"));
            tx.Create(Objects.Task("t2", "s1", 2, "n2"));
            tx.Create(Objects.Task("t3", "s2", 1, "n1", TaskState.Shutdown));
        });
        var t1 = store.View(tx => tx.Get<SwarmTask>("t1"))!;
        store.Update(tx =>
        {
            tx.Update(t1 with { NodeId = "n2", DesiredState = TaskState.Shutdown });
            tx.Delete<SwarmTask>("t2");
        });

        store.View(tx =>
        {
            Assert.Equal(["t1"], tx.TasksByService("s1").Select(t => t.Id));
            Assert.Equal(["t3"], tx.TasksByNode("n1").Select(t => t.Id));
            Assert.Equal(["t1"], tx.TasksByNode("n2").Select(t => t.Id));
            Assert.Empty(tx.TasksBySlot("s1", 2));
            Assert.Equal(["t1"], tx.TasksBySlot("s1", 1).Select(t => t.Id));
            Assert.Equal(["t1", "t3"], tx.TasksByDesiredState(TaskState.Shutdown).Select(t => t.Id));
            Assert.Empty(tx.TasksByDesiredState(TaskState.Running));
            return 0;
        });
    }

    [Fact]
    public void FindByName_Renamed_OldNameFreed()
    {
        var store = NewStore();
        store.Update(tx => tx.Create(Objects.Service("s1", "web")));
        var s1 = store.View(tx => tx.Get<Service>("s1"))!;
        store.Update(tx => tx.Update(s1.WithSpec(1, "front")));
        store.Update(tx => tx.Create(Objects.Service("s2", "web")));

        Assert.Equal("s1", store.View(tx => tx.GetByName<Service>("FRONT"))?.Id);
        Assert.Equal("s2", store.View(tx => tx.GetByName<Service>("web"))?.Id);
    }

    [Fact]
    public void View_SnapshotTakenBeforeWrite_DoesNotSeeIt()
    {
        var store = NewStore();
        store.Update(tx => tx.Create(Objects.Service("s1", "web")));
        var count = store.View(tx =>
        {
            store.Update(w => w.Create(Objects.Service("s2", "api")));
            return tx.Count<Service>();
        });

        Assert.Equal(1, count);
        Assert.Equal(2, store.View(tx => tx.Count<Service>()));
    }

    [Fact]
    public async Task Watch_Commits_DeliveredInOrderWithOldAndNew()
    {
        var store = NewStore();
        using var watch = store.Watch();
        store.Update(tx => tx.Create(Objects.Service("s1", "web")));
        var s1 = store.View(tx => tx.Get<Service>("s1"))!;
        store.Update(tx => tx.Update(s1.WithSpec(2)));
        store.Update(tx => tx.Delete<Service>("s1"));

        var create = Assert.IsType<ObjectChange>(await watch.NextAsync("the create"));
        Assert.Equal((StoreActionKind.Create, 1UL), (create.Action, create.Version));
        Assert.Equal(new CommitEvent(1), await watch.NextAsync("commit 1"));
        var update = Assert.IsType<ObjectChange>(await watch.NextAsync("the update"));
        Assert.Equal(1UL, ((Service)update.Old!).Replicas);
        Assert.Equal(2UL, ((Service)update.New!).Replicas);
        Assert.Equal(new CommitEvent(2), await watch.NextAsync("commit 2"));
        var delete = Assert.IsType<ObjectChange>(await watch.NextAsync("the delete"));
        Assert.Equal(StoreActionKind.Delete, delete.Action);
        Assert.Null(delete.New);
    }

    [Fact]
    public async Task ViewAndWatch_WritesAfterSnapshot_AllDelivered()
    {
        var store = NewStore();
        store.Update(tx => tx.Create(Objects.Service("s1", "web")));
        var (count, watch) = store.ViewAndWatch(tx => tx.Count<Service>(), e => e is ObjectChange { Kind: ObjectKind.Service });
        using (watch)
        {
            store.Update(tx => tx.Create(Objects.Service("s2", "api")));
            store.Update(tx => tx.Create(Objects.Task("t1", "s2", 1)));

            Assert.Equal(1, count);
            var change = Assert.IsType<ObjectChange>(await watch.NextAsync("the create of s2"));
            Assert.Equal("s2", change.New!.Id);
            Assert.False(watch.Events.TryRead(out _), "the predicate should have filtered the task and commit events");
        }
    }

    [Fact]
    public async Task Watch_SlowWatcher_ClosedWithOverflow()
    {
        var store = new MemoryStore(_time, watchCapacity: 4);
        using var watch = store.Watch();
        for (var i = 0; i < 3; i++)
        {
            store.Update(tx => tx.Create(Objects.Service($"s{i}", $"n{i}")));
        }

        await Assert.ThrowsAsync<WatchOverflowException>(async () =>
        {
            await foreach (var e in watch.ReadAllAsync())
            {
                _ = e;
            }
        });
    }

    [Fact]
    public void Batch_ManySteps_CommitsInChunksAndUndoesAFailedStep()
    {
        var store = NewStore();
        store.Update(tx => tx.Create(Objects.Service("s0", "taken")));
        store.Batch(batch =>
        {
            for (var i = 1; i <= 450; i++)
            {
                var id = i;
                batch.Update(tx => tx.Create(Objects.Task($"t{id}", "s0", id)));
            }

            Assert.Throws<NameConflictException>(() => batch.Update(tx =>
            {
                tx.Create(Objects.Service("s1", "fine"));
                tx.Create(Objects.Service("s2", "taken"));
            }));
        });

        Assert.Equal(450, store.View(tx => tx.Count<SwarmTask>()));
        Assert.Null(store.View(tx => tx.Get<Service>("s1")));
        Assert.Equal(4UL, store.Index); // 1 create + commits at 200, 400 and the final 50
    }
}
