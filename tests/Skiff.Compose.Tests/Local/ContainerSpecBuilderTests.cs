using Skiff.Compose.Local;

namespace Skiff.Compose.Tests.Local;

public sealed class ContainerSpecBuilderTests
{
    private static readonly Dictionary<string, string> NoEnv = [];

    private static ContainerContext Context(string image = "img", string imageId = "sha256:1", IReadOnlyDictionary<string, string>? env = null) =>
        new(image, imageId, env ?? NoEnv, ["/tmp/tutorial/compose.yaml"], s => $"tutorial-{s}-1");

    private static ComposeProject Tutorial() => ComposeProjectLoaderTests.Load(ComposeProjectLoaderTests.Tutorial);

    [Fact]
    public void Template_TutorialWeb_PortsVolumesLimitsRestartNetwork()
    {
        var project = Tutorial();
        var web = project.Service("web")!;

        var (t, hash) = ContainerSpecBuilder.Template(project, web, Context("tutorial-web"));

        Assert.Equal("tutorial-web", t.Image);
        Assert.Equal("5000", t.HostConfig!.PortBindings!["5000/tcp"]![0].HostPort);
        Assert.Contains("5000/tcp", t.ExposedPorts!.Keys);
        Assert.Equal(["/tmp/tutorial:/code"], t.HostConfig.Binds);
        var volume = Assert.Single(t.HostConfig.Mounts!);
        Assert.Equal(("volume", "tutorial_logvolume01", "/var/log"), (volume.Type, volume.Source, volume.Target));
        Assert.Equal(100_000_000, t.HostConfig.NanoCpus);
        Assert.Equal(50L * 1024 * 1024, t.HostConfig.Memory);
        Assert.Equal("on-failure", t.HostConfig.RestartPolicy!.Name);
        Assert.Equal("tutorial_default", t.HostConfig.NetworkMode);
        Assert.Equal(["web"], t.NetworkingConfig!.EndpointsConfig!["tutorial_default"].Aliases);
        Assert.Equal("tutorial", t.Labels![ComposeLabels.Project]);
        Assert.Equal("web", t.Labels[ComposeLabels.Service]);
        Assert.Equal(64, hash.Length);
    }

    [Fact]
    public void Template_Hash_ChangesWithConfigAndImageIdOnly()
    {
        var project = Tutorial();
        var web = project.Service("web")!;
        var edited = ComposeProjectLoaderTests.Load(ComposeProjectLoaderTests.Tutorial.Replace("\"5000:5000\"", "\"5001:5000\"", StringComparison.Ordinal));

        var a = ContainerSpecBuilder.Template(project, web, Context()).Hash;
        var same = ContainerSpecBuilder.Template(project, web, Context()).Hash;
        var rebuilt = ContainerSpecBuilder.Template(project, web, Context(imageId: "sha256:2")).Hash;
        var ported = ContainerSpecBuilder.Template(edited, edited.Service("web")!, Context()).Hash;
        var withEnv = ContainerSpecBuilder.Template(project, web, Context(env: new Dictionary<string, string> { ["A"] = "1" })).Hash;

        Assert.Equal(a, same);
        Assert.Equal(4, new[] { a, rebuilt, ported, withEnv }.Distinct().Count());
    }

    [Fact]
    public void ForReplica_AddsNumberHashAndOneOff_TemplateUntouched()
    {
        var project = Tutorial();
        var (t, hash) = ContainerSpecBuilder.Template(project, project.Service("redis")!, Context("redis"));

        var second = ContainerSpecBuilder.ForReplica(t, hash, 2);

        Assert.Equal("2", second.Labels![ComposeLabels.ContainerNumber]);
        Assert.Equal(hash, second.Labels[ComposeLabels.ConfigHash]);
        Assert.Equal("False", second.Labels[ComposeLabels.OneOff]);
        Assert.False(t.Labels!.ContainsKey(ComposeLabels.ContainerNumber));
        Assert.Equal("tutorial-redis-2", ContainerSpecBuilder.ContainerName(project, project.Service("redis")!, 2));
    }

    [Fact]
    public void Template_NetworkModeServiceAndVolumesFrom_ResolveToContainers()
    {
        var project = ComposeProjectLoaderTests.Load("""
            services:
              a:
                image: x
                network_mode: "service:b"
                volumes_from: ["b:ro", "container:raw"]
              b:
                image: x
            """);

        var (t, _) = ContainerSpecBuilder.Template(project, project.Service("a")!, Context());

        Assert.Equal("container:tutorial-b-1", t.HostConfig!.NetworkMode);
        Assert.Null(t.NetworkingConfig);
        Assert.Equal(["tutorial-b-1:ro", "raw"], t.HostConfig.VolumesFrom);
    }

    [Theory]
    [InlineData("restart: unless-stopped", "unless-stopped", 0)]
    [InlineData("restart: \"on-failure:3\"", "on-failure", 3)]
    [InlineData("deploy: {restart_policy: {condition: none}}", "no", 0)]
    [InlineData("deploy: {restart_policy: {condition: any}}", "always", 0)]
    [InlineData("deploy: {restart_policy: {condition: on-failure, max_attempts: 4}}", "on-failure", 4)]
    public void Template_RestartPolicy_FromRestartOrDeploy(string yaml, string name, int retries)
    {
        var project = ComposeProjectLoaderTests.Load($"services:\n  a:\n    image: x\n    {yaml}\n");

        var (t, _) = ContainerSpecBuilder.Template(project, project.Service("a")!, Context());

        Assert.Equal((name, retries), (t.HostConfig!.RestartPolicy!.Name, t.HostConfig.RestartPolicy.MaximumRetryCount));
    }

    [Fact]
    public void Template_SingleHostFields_Carried()
    {
        var project = ComposeProjectLoaderTests.Load("""
            services:
              a:
                image: x
                tty: true
                stdin_open: true
                stop_grace_period: 1m30s
                stop_signal: SIGINT
                expose: ["3000", "4000/udp"]
                extra_hosts: ["db=10.0.0.1"]
                cap_add: [NET_ADMIN]
                read_only: true
                healthcheck:
                  test: ["CMD", "true"]
                  interval: 2s
                  retries: 3
            """);

        var (t, _) = ContainerSpecBuilder.Template(project, project.Service("a")!, Context());

        Assert.True(t.Tty);
        Assert.True(t.OpenStdin);
        Assert.Equal(90, t.StopTimeout);
        Assert.Equal("SIGINT", t.StopSignal);
        Assert.Equal(["3000/tcp", "4000/udp"], t.ExposedPorts!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["db:10.0.0.1"], t.HostConfig!.ExtraHosts);
        Assert.Equal(["NET_ADMIN"], t.HostConfig.CapAdd);
        Assert.True(t.HostConfig.ReadonlyRootfs);
        Assert.Equal(["CMD", "true"], t.Healthcheck!.Test);
        Assert.Equal(2_000_000_000, t.Healthcheck.Interval);
        Assert.Equal(3, t.Healthcheck.Retries);
    }

    [Fact]
    public void Template_NetworkModeServiceWithoutContainer_ClearError()
    {
        var project = ComposeProjectLoaderTests.Load("services:\n  a:\n    image: x\n    network_mode: \"service:b\"\n  b:\n    image: x\n");
        var context = new ContainerContext("x", "sha256:1", NoEnv, [], _ => null);

        var e = Assert.Throws<ComposeEngineException>(() => ContainerSpecBuilder.Template(project, project.Service("a")!, context));
        Assert.Equal("service \"a\" uses the network stack of service \"b\", which has no container", e.Message);
    }

    [Fact]
    public void Template_FileSecretsAndConfigs_BindMountedReadOnly()
    {
        var project = ComposeProjectLoaderTests.Load(
            "services:\n  a:\n    image: x\n    secrets: [s, {source: s, target: /etc/pw}]\n    configs: [{source: c, target: app.conf}]\n"
            + "secrets:\n  s: {file: ./s.txt}\nconfigs:\n  c: {file: ./c.conf}\n");

        var (t, _) = ContainerSpecBuilder.Template(project, project.Service("a")!, Context());

        Assert.Equal(
            [("/run/secrets/s", true), ("/etc/pw", true), ("/app.conf", true)],
            t.HostConfig!.Mounts!.Where(m => m.Type == "bind").Select(m => (m.Target, m.ReadOnly)));
        Assert.EndsWith("/s.txt", t.HostConfig.Mounts![0].Source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("secrets:\n  s: {external: true}\n", "is external, which exists only in a swarm")]
    [InlineData("secrets:\n  s: {environment: PW}\n", "comes from the environment")]
    public void Template_SecretsOneHostCannotProvide_ClearError(string top, string error)
    {
        var project = ComposeProjectLoaderTests.Load("services:\n  a:\n    image: x\n    secrets: [s]\n" + top);

        var e = Assert.Throws<ComposeEngineException>(() => ContainerSpecBuilder.Template(project, project.Service("a")!, Context()));
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
    }
}
