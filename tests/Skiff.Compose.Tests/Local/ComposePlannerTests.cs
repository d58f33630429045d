using Skiff.Compose.Local;

namespace Skiff.Compose.Tests.Local;

public sealed class ComposePlannerTests
{
    private static ComposeProject Load(string yaml) => ComposeProjectLoaderTests.Load(yaml);

    private static ObservedContainer C(string service, int number, string hash = "h", bool running = true, bool oneOff = false) =>
        new($"id-{service}-{number}", $"p-{service}-{number}", service, number, hash, running, oneOff);

    [Fact]
    public void Replicas_TutorialWebWithFixedPort_RunsOneAndSaysWhy()
    {
        var web = Load(ComposeProjectLoaderTests.Tutorial).Service("web")!;
        var warnings = new List<string>();

        var replicas = ComposePlanner.Replicas(web, new UpOptions(), warnings);

        Assert.Equal(1, replicas);
        var warning = Assert.Single(warnings);
        Assert.Contains("5 replicas cannot all publish host port 5000", warning, StringComparison.Ordinal);
        Assert.Contains("\"5000-5004:5000\"", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deploy: {replicas: 3}", null, 3)]
    [InlineData("scale: 2", null, 2)]
    [InlineData("deploy: {replicas: 3}", 4, 4)]
    [InlineData("labels: {}", null, 1)]
    [InlineData("deploy: {replicas: 3}\n    ports: [\"8000-8002:80\"]", null, 3)]
    [InlineData("deploy: {replicas: 3}\n    ports: [\"80\"]", null, 3)]
    public void Replicas_ScaleSources_InComposeOrder(string extra, int? flag, int expected)
    {
        var svc = Load($"services:\n  a:\n    image: x\n    {extra}\n").Service("a")!;
        var options = new UpOptions { Scale = flag is { } f ? new Dictionary<string, int> { ["a"] = f } : new Dictionary<string, int>() };
        var warnings = new List<string>();

        Assert.Equal(expected, ComposePlanner.Replicas(svc, options, warnings));
        Assert.Empty(warnings);
    }

    [Fact]
    public void Replicas_ContainerNameWithSeveral_Refused()
    {
        var svc = Load("services:\n  a:\n    image: x\n    container_name: one\n    scale: 2\n").Service("a")!;

        var e = Assert.Throws<ComposeEngineException>(() => ComposePlanner.Replicas(svc, new UpOptions(), new List<string>()));
        Assert.Contains("container_name \"one\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanService_Mixed_KeepStartRecreateCreateRemove()
    {
        var observed = new[]
        {
            C("a", 1),
            C("a", 2, running: false),
            C("a", 3, hash: "old"),
            C("a", 5),
            C("a", 7),
            C("a", 9, oneOff: true),
            C("b", 1, hash: "other"),
        };

        var plan = ComposePlanner.PlanService("a", 5, "h", observed, new UpOptions());

        Assert.Equal(
            [
                (ContainerActionKind.Keep, 1),
                (ContainerActionKind.Start, 2),
                (ContainerActionKind.Recreate, 3),
                (ContainerActionKind.Keep, 5),
                (ContainerActionKind.Keep, 7),
            ],
            plan.Actions.Select(a => (a.Kind, a.Number)));
    }

    [Fact]
    public void PlanService_ScaleDown_RemovesHighestNumbersAndFillsGapsOnScaleUp()
    {
        var observed = new[] { C("a", 1), C("a", 2), C("a", 3), C("a", 4) };

        var down = ComposePlanner.PlanService("a", 2, "h", observed, new UpOptions());
        var up = ComposePlanner.PlanService("a", 4, "h", [C("a", 1), C("a", 3)], new UpOptions());

        Assert.Equal([(ContainerActionKind.Keep, 1), (ContainerActionKind.Keep, 2), (ContainerActionKind.Remove, 4), (ContainerActionKind.Remove, 3)], down.Actions.Select(a => (a.Kind, a.Number)));
        Assert.Equal([(ContainerActionKind.Keep, 1), (ContainerActionKind.Keep, 3), (ContainerActionKind.Create, 2), (ContainerActionKind.Create, 4)], up.Actions.Select(a => (a.Kind, a.Number)));
    }

    [Fact]
    public void PlanService_ForceAndNoRecreate_OverrideTheHash()
    {
        var observed = new[] { C("a", 1, hash: "old"), C("a", 2) };

        var forced = ComposePlanner.PlanService("a", 2, "h", observed, new UpOptions { ForceRecreate = true });
        var kept = ComposePlanner.PlanService("a", 2, "h", observed, new UpOptions { NoRecreate = true });

        Assert.All(forced.Actions, a => Assert.Equal(ContainerActionKind.Recreate, a.Kind));
        Assert.All(kept.Actions, a => Assert.Equal(ContainerActionKind.Keep, a.Kind));
    }

    [Fact]
    public void StartOrder_DependenciesFirst_ImplicitOnesIncluded()
    {
        var project = Load("""
            services:
              web:
                image: x
                depends_on: [api]
              api:
                image: x
                links: ["db:database"]
                volumes_from: [data]
              db:
                image: x
                network_mode: "service:net"
              net:
                image: x
              data:
                image: x
              lone:
                image: x
            """);

        var all = ComposePlanner.StartOrder(project, [], noDeps: false).Select(s => s.Name).ToList();
        var onlyWeb = ComposePlanner.StartOrder(project, ["web"], noDeps: false).Select(s => s.Name).ToList();
        var noDeps = ComposePlanner.StartOrder(project, ["web"], noDeps: true).Select(s => s.Name).ToList();

        Assert.Equal(["net", "db", "data", "api", "web", "lone"], all);
        Assert.Equal(["net", "db", "data", "api", "web"], onlyWeb);
        Assert.Equal(["web"], noDeps);
    }

    [Fact]
    public void StartOrder_UnknownService_Refused()
    {
        var project = Load("services:\n  a:\n    image: x\n");

        var e = Assert.Throws<ComposeEngineException>(() => ComposePlanner.StartOrder(project, ["nope"], noDeps: false));
        Assert.Equal("no such service: nope", e.Message);
    }

    [Fact]
    public void Orphans_ServicesGoneFromTheFile_Warned()
    {
        var project = Load("services:\n  a:\n    image: x\n");
        var orphans = ComposePlanner.Orphans(project, [C("a", 1), C("old", 1), C("old", 2, oneOff: true)]);

        Assert.Equal(["p-old-1"], orphans.Select(o => o.Name));
        Assert.StartsWith("Found orphan containers ([p-old-1]) for this project.", ComposePlanner.OrphanWarning(orphans), StringComparison.Ordinal);
    }

    [Fact]
    public void OneHostWarnings_SwarmKeys_OneLineEach()
    {
        var svc = Load("""
            services:
              a:
                image: x
                links: ["db:database"]
                gpus: all
                deploy:
                  placement: {constraints: ["node.role==manager"]}
                  update_config: {parallelism: 2}
                  labels: {a: b}
                  restart_policy: {condition: on-failure, delay: 5s}
              db:
                image: x
            """).Service("a")!;

        var warnings = ComposePlanner.OneHostWarnings(svc);

        Assert.Equal(6, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("deploy.placement", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("deploy.update_config", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("deploy.labels", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("delay and window", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("link alias in \"db:database\"", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w == "service \"a\": gpus is not supported by skiff and is ignored");
    }

    [Fact]
    public void ObservedContainer_FromLabels_OtherProjectsIgnored()
    {
        var labels = new Dictionary<string, string>
        {
            [ComposeLabels.Project] = "p",
            [ComposeLabels.Service] = "web",
            [ComposeLabels.ContainerNumber] = "3",
            [ComposeLabels.ConfigHash] = "abc",
        };

        var mine = ObservedContainer.FromLabels("id", "/p-web-3", labels, "exited", "p");
        var other = ObservedContainer.FromLabels("id", "/p-web-3", labels, "running", "q");

        Assert.Equal(new ObservedContainer("id", "p-web-3", "web", 3, "abc", false, false), mine);
        Assert.Null(other);
    }
}
