namespace Skiff.Compose.Tests;

public sealed class ComposeProjectLoaderTests
{
    internal const string Tutorial = """
        version: '3'
        services:
          web:
            build: .
            ports:
            - "5000:5000"
            volumes:
            - .:/code
            - logvolume01:/var/log
            links:
            - redis
            deploy:
              replicas: 5
              resources:
                limits:
                  cpus: "0.1"
                  memory: 50M
              restart_policy:
                condition: on-failure
          redis:
            image: redis
        volumes:
          logvolume01: {}

        """;

    internal static ComposeProject Load(string yaml, Func<string, string?>? lookup = null, params string[] more) =>
        ComposeProjectLoader.Load(
            [new ComposeFileSource("compose.yaml", yaml), .. more.Select((m, i) => new ComposeFileSource($"override{i}.yaml", m))],
            new ComposeLoadOptions { ProjectDirectory = "/tmp/tutorial", Lookup = lookup, Home = "/home/u" });

    [Fact]
    public void Load_Tutorial_TypedModel()
    {
        var project = Load(Tutorial);
        Assert.Equal("tutorial", project.Name);
        Assert.Equal(["web", "redis"], project.Services.Select(s => s.Name));
        var web = project.Service("web")!;
        Assert.Equal(new BuildConfig("/tmp/tutorial", "Dockerfile", new Dictionary<string, string?>()).Context, web.Build!.Context);
        Assert.Equal("Dockerfile", web.Build.Dockerfile);
        Assert.Equal(new ServicePort("ingress", 5000, "5000", "tcp", null), Assert.Single(web.Ports));
        Assert.Equal(new ServiceVolume(VolumeType.Bind, "/tmp/tutorial", "/code", false) { CreateHostPath = true }, web.Volumes[0]);
        Assert.Equal(new ServiceVolume(VolumeType.Volume, "logvolume01", "/var/log", false), web.Volumes[1]);
        Assert.Equal(["redis"], web.Links);
        Assert.Equal(5, web.Deploy!.Replicas);
        Assert.Equal(100_000_000, web.Deploy.Limits!.NanoCpus);
        Assert.Equal("0.1", web.Deploy.Limits.Cpus);
        Assert.Equal(52_428_800, web.Deploy.Limits.MemoryBytes);
        Assert.Equal("on-failure", web.Deploy.RestartPolicy!.Condition);
        Assert.Equal(["default"], web.Networks.Keys);
        Assert.Equal("tutorial_default", project.Networks["default"].Name);
        Assert.Equal("tutorial_logvolume01", project.Volumes["logvolume01"].Name);
        Assert.Equal("redis", project.Service("redis")!.Image);
    }

    [Fact]
    public void Load_Version_ObsoleteWarning()
    {
        var project = Load(Tutorial);
        Assert.Equal(["compose.yaml: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion"], project.Warnings);
    }

    [Fact]
    public void Load_InterpolationAndOverride_Applied()
    {
        var project = Load(
            "services:\n  web:\n    image: app:${TAG:-latest}\n    environment: [A=1]\n    command: echo one\n",
            n => n == "TAG" ? "v2" : null,
            "services:\n  web:\n    environment: {B: '2'}\n    command: [\"echo\", \"two\"]\n");
        var web = project.Service("web")!;
        Assert.Equal("app:v2", web.Image);
        Assert.Equal(new Dictionary<string, string?> { ["A"] = "1", ["B"] = "2" }, web.Environment);
        Assert.Equal(["echo", "two"], web.Command!);
    }

    [Fact]
    public void Load_LongSyntaxes_Converted()
    {
        var project = Load("""
            services:
              db:
                image: pg
                healthcheck:
                  test: pg_isready
                  interval: 1m30s
                  timeout: 10s
                  retries: 3
              web:
                image: app
                depends_on:
                  db:
                    condition: service_healthy
                    restart: true
                networks:
                  front:
                    aliases: [www]
                env_file:
                  - path: ./a.env
                    required: false
                deploy:
                  mode: replicated
                  update_config: {parallelism: 2, delay: 10s, order: start-first}
                  placement:
                    constraints: [node.role==manager]
                    preferences: [{spread: node.labels.zone}]
                    max_replicas_per_node: 1
                  endpoint_mode: vip
                  labels: [a=b]
                  resources:
                    reservations: {memory: 1g}
                restart: unless-stopped
                user: "1000"
                working_dir: /app
                hostname: web1
                profiles: [debug]
                scale: 2
                labels: {x: y}
            networks:
              front: {}
            """,
            n => n == "COMPOSE_PROFILES" ? "debug" : null);
        var db = project.Service("db")!;
        Assert.Equal(["CMD-SHELL", "pg_isready"], db.Healthcheck!.Test!);
        Assert.Equal(TimeSpan.FromSeconds(90), db.Healthcheck.Interval);
        Assert.Equal(3, db.Healthcheck.Retries);
        var web = project.Service("web")!;
        Assert.Equal(new ServiceDependency("service_healthy", true, true), web.DependsOn["db"]);
        Assert.Equal(["www"], web.Networks["front"]!.Aliases);
        Assert.Equal(new EnvFileRef("/tmp/tutorial/a.env", false), Assert.Single(web.EnvFiles));
        Assert.Equal(2, web.Deploy!.UpdateConfig!.Parallelism);
        Assert.Equal(TimeSpan.FromSeconds(10), web.Deploy.UpdateConfig.Delay);
        Assert.Equal(["node.role==manager"], web.Deploy.Placement!.Constraints);
        Assert.Equal(["node.labels.zone"], web.Deploy.Placement.PreferenceSpreads);
        Assert.Equal(1L << 30, web.Deploy.Reservations!.MemoryBytes);
        Assert.Equal("b", web.Deploy.Labels["a"]);
        Assert.Equal(("unless-stopped", "1000", "/app", "web1", 2), (web.Restart, web.User, web.WorkingDir, web.Hostname, web.Scale));
        Assert.Equal(["debug"], web.Profiles);
        Assert.Equal(["default", "front"], project.Networks.Keys.Order());
    }

    [Fact]
    public void Load_OverrideFileWithResetAndKeyedPorts_Merged()
    {
        var project = Load(
            "services:\n  web:\n    image: a\n    ports: [\"8080:80\", \"443:443\"]\n    volumes: [\"./a:/data\"]\n    dns: [1.1.1.1]\n",
            null,
            "services:\n  web:\n    ports: [{target: 80, published: \"9090\"}, \"8080:80\"]\n    volumes: [\"./b:/data\"]\n    dns: !reset []\n");
        var web = project.Service("web")!;
        Assert.Equal(
            [new ServicePort("ingress", 80, "8080", "tcp", null), new ServicePort("ingress", 443, "443", "tcp", null), new ServicePort("ingress", 80, "9090", "tcp", null)],
            web.Ports);
        Assert.Equal("/tmp/tutorial/b", Assert.Single(web.Volumes).Source);
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "services:\n  web:\n    image: a\n    ports:\n      - \"80:80:80\"\n", "compose.yaml:5:9: services.web.ports[0]: invalid port \"80:80:80\": invalid IP address \"80\"" },
        { "services:\n  web:\n    image: a\n    foo: 1\n", "compose.yaml:4:5: services.web Additional property foo is not allowed" },
        { "bogus: 1\n", "compose.yaml:1:1: (root) Additional property bogus is not allowed" },
        { "services:\n  web:\n    image: a\n    scale: many\n", "compose.yaml:4:12: services.web.scale: must be an integer, got \"many\"" },
        { "services:\n  web:\n    image: a\n    healthcheck:\n      interval: 10\n", "compose.yaml:5:17: services.web.healthcheck.interval must be a string" },
        { "services:\n  web:\n    image: a\n    healthcheck:\n      interval: ten\n", "compose.yaml:5:17: services.web.healthcheck.interval: invalid duration \"ten\"" },
        { "services:\n  web:\n    image: a\n    deploy:\n      resources:\n        limits:\n          memory: lots\n", "compose.yaml:7:19: services.web.deploy.resources.limits.memory: invalid memory size \"lots\"" },
        { "services:\n  web:\n    image: a\n    volumes: [\"a:b:c:d\"]\n", "compose.yaml:4:15: services.web.volumes[0]: invalid volume \"a:b:c:d\": too many colons" },
        { "services:\n  web:\n    image: a\n    volumes: [\"data:/d\"]\n", "compose.yaml:4:15: service \"web\" refers to undefined volume data: invalid compose project" },
        { "services:\n  web:\n    image: a\n    networks: [back]\n", "compose.yaml:4:16: service \"web\" refers to undefined network back: invalid compose project" },
        { "services:\n  web:\n    image: a\n    depends_on: [db]\n", "compose.yaml:4:18: service \"web\" depends on undefined service \"db\": invalid compose project" },
        { "services:\n  web:\n    build: .\n    restart: sometimes\n", "compose.yaml:4:14: services.web.restart: invalid restart policy \"sometimes\"" },
        { "services:\n  web:\n    restart: always\n", "compose.yaml:3:5: services.web: service has neither an image nor a build context specified" },
        { "services:\n  web:\n    image: a\n    deploy: 3\n", "compose.yaml:4:13: services.web.deploy must be a mapping or null" },
        { "services:\n  web:\n    image: a\n    ports: [{published: 80}]\n", "compose.yaml:4:13: services.web.ports[0]: target is required" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Load_BadInput_OneClearError(string yaml, string message)
    {
        var e = Assert.Throws<ComposeFileException>(() => Load(yaml));
        Assert.Equal(message, e.Message);
    }
}
