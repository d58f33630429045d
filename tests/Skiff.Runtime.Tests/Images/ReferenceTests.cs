using Skiff.Api;
using Skiff.Runtime.Images;

namespace Skiff.Runtime.Tests.Images;

public sealed class ReferenceTests
{
    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "busybox:latest")]
    [InlineData("busybox:latest", "docker.io", "library/busybox", "busybox:latest")]
    [InlineData("library/busybox:1.36", "docker.io", "library/busybox", "busybox:1.36")]
    [InlineData("docker.io/library/busybox:latest", "docker.io", "library/busybox", "busybox:latest")]
    [InlineData("index.docker.io/library/busybox", "docker.io", "library/busybox", "busybox:latest")]
    [InlineData("foo/bar", "docker.io", "foo/bar", "foo/bar:latest")]
    [InlineData("docker.io/foo/bar:2", "docker.io", "foo/bar", "foo/bar:2")]
    [InlineData("127.0.0.1:5000/foo", "127.0.0.1:5000", "foo", "127.0.0.1:5000/foo:latest")]
    [InlineData("127.0.0.1:5000/foo:v1", "127.0.0.1:5000", "foo", "127.0.0.1:5000/foo:v1")]
    [InlineData("localhost/a/b", "localhost", "a/b", "localhost/a/b:latest")]
    [InlineData("quay.io/org/img:1.0", "quay.io", "org/img", "quay.io/org/img:1.0")]
    [InlineData("my-registry.local:443/x_y.z", "my-registry.local:443", "x_y.z", "my-registry.local:443/x_y.z:latest")]
    public void Parse_ValidReference_Normalises(string input, string domain, string path, string familiarTagged)
    {
        var reference = ImageReference.Parse(input);

        Assert.Equal(domain, reference.Domain);
        Assert.Equal(path, reference.Path);
        Assert.Equal(familiarTagged, reference.FamiliarTagged);
    }

    [Fact]
    public void Parse_Digest_KeepsDigestAndNoTag()
    {
        var digest = "sha256:" + new string('a', 64);

        var reference = ImageReference.Parse("busybox@" + digest);

        Assert.Equal(digest, reference.Digest);
        Assert.Null(reference.Tag);
        Assert.Equal("busybox@" + digest, reference.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Busybox")]
    [InlineData("busybox:")]
    [InlineData("busybox:bad tag")]
    [InlineData("-busybox")]
    [InlineData("busybox@sha256:xyz")]
    [InlineData("a//b")]
    public void Parse_InvalidReference_ThrowsBadRequest(string input)
    {
        Assert.Throws<BadRequestException>(() => ImageReference.Parse(input));
    }

    [Theory]
    [InlineData("127.0.0.1:5000/x", true)]
    [InlineData("127.1.2.3/x", true)]
    [InlineData("localhost:5000/x", true)]
    [InlineData("[::1]:5000/x", true)]
    [InlineData("busybox", false)]
    [InlineData("quay.io/x", false)]
    [InlineData("10.0.0.1:5000/x", false)]
    public void IsInsecureRegistry_Host_PlainHttpOnlyForLoopback(string input, bool insecure)
    {
        Assert.Equal(insecure, ImageReference.Parse(input).IsInsecureRegistry);
    }

    [Fact]
    public void RegistryHost_DockerHub_IsRegistry1()
    {
        Assert.Equal("registry-1.docker.io", ImageReference.Parse("busybox").RegistryHost);
        Assert.Equal("127.0.0.1:5000", ImageReference.Parse("127.0.0.1:5000/x").RegistryHost);
    }
}
