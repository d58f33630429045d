using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary>One skiffd with busybox and redis loaded, shared by the tests of a collection.</summary>
public sealed class DaemonFixture : IDisposable
{
    public DaemonFixture()
    {
        Daemon = new Skiffd();
        Daemon.DockerOk("load", "-i", Repo.Image("busybox"));
        Daemon.DockerOk("load", "-i", Repo.Image("redis"));
    }

    public Skiffd Daemon { get; }

    public void Dispose() => Daemon.Dispose();
}

[CollectionDefinition("daemon")]
public sealed class DaemonCollection : ICollectionFixture<DaemonFixture>;
