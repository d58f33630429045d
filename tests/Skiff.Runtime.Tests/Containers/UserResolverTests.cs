using Skiff.Api;
using Skiff.Runtime.Containers;

namespace Skiff.Runtime.Tests.Containers;

public sealed class UserResolverTests : IDisposable
{
    private readonly string _rootfs = Directory.CreateTempSubdirectory("skiff-rootfs-").FullName;

    public UserResolverTests()
    {
        Directory.CreateDirectory(Path.Combine(_rootfs, "etc"));
        File.WriteAllText(Path.Combine(_rootfs, "etc/passwd"), string.Join('\n',
            "# comment",
            "root:x:0:0:root:/root:/bin/sh",
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
            "app:x:1000:1000:App User:/home/app:/bin/sh",
            "") + "\n");
        File.WriteAllText(Path.Combine(_rootfs, "etc/group"), string.Join('\n',
            "root:x:0:",
            "daemon:x:1:",
            "wheel:x:10:root,app",
            "audio:x:29:other,app",
            "app:x:1000:",
            "staff:x:50:other") + "\n");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_rootfs, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>"uid:gid:[extra,...]" so the supplementary groups compare by value and in order.</summary>
    private static string Tuple(OciSpec.ProcessUser u) => $"{u.Uid}:{u.Gid}:[{string.Join(',', u.AdditionalGids)}]";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("root")]
    [InlineData("0")]
    public void Resolve_RootForms_AreUidZeroWithRootsGroups(string? user)
    {
        var u = UserResolver.Resolve(user, _rootfs);

        Assert.Equal("0:0:[10]", Tuple(u));
    }

    [Fact]
    public void Resolve_Name_UsesPasswdUidGidAndSupplementaryGroups()
    {
        var u = UserResolver.Resolve("app", _rootfs);

        Assert.Equal("1000:1000:[10,29]", Tuple(u));
    }

    [Fact]
    public void Resolve_Uid_FindsTheEntrysPrimaryGroup()
    {
        var u = UserResolver.Resolve("1000", _rootfs);

        Assert.Equal("1000:1000:[10,29]", Tuple(u));
    }

    [Fact]
    public void Resolve_UnknownUid_IsAcceptedWithGidZero()
    {
        var u = UserResolver.Resolve("4242", _rootfs);

        Assert.Equal("4242:0:[]", Tuple(u));
    }

    [Fact]
    public void Resolve_NameColonGroup_UsesTheGroupAndKeepsOthersSupplementary()
    {
        var u = UserResolver.Resolve("app:wheel", _rootfs);

        Assert.Equal("1000:10:[29]", Tuple(u));
    }

    [Fact]
    public void Resolve_UidColonGid_NumericGroupNeedNotExist()
    {
        var u = UserResolver.Resolve("1000:2000", _rootfs);

        Assert.Equal("1000:2000:[10,29]", Tuple(u));
    }

    [Fact]
    public void Resolve_UnknownUidColonGid_NoSupplementaryGroups()
    {
        var u = UserResolver.Resolve("4242:50", _rootfs);

        Assert.Equal("4242:50:[]", Tuple(u));
    }

    [Fact]
    public void Resolve_UnknownUser_ThrowsDockersMessage()
    {
        var ex = Assert.Throws<BadRequestException>(() => UserResolver.Resolve("nobody2", _rootfs));

        Assert.Equal("unable to find user nobody2: no matching entries in passwd file", ex.Message);
    }

    [Fact]
    public void Resolve_UnknownGroup_ThrowsDockersMessage()
    {
        var ex = Assert.Throws<BadRequestException>(() => UserResolver.Resolve("app:nogroup", _rootfs));

        Assert.Equal("unable to find group nogroup: no matching entries in group file", ex.Message);
    }

    [Fact]
    public void Resolve_NoPasswdFile_NamedUserFailsNumericWorks()
    {
        var empty = Directory.CreateTempSubdirectory("skiff-empty-rootfs-").FullName;
        try
        {
            Assert.Throws<BadRequestException>(() => UserResolver.Resolve("app", empty));
            Assert.Equal("33:33:[]", Tuple(UserResolver.Resolve("33:33", empty)));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
