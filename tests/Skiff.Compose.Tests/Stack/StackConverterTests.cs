using Skiff.Compose.Local;
using Skiff.Compose.Stack;

namespace Skiff.Compose.Tests.Stack;

public sealed class StackConverterTests
{
    private static ComposeProject Load(string yaml) => ComposeProjectLoaderTests.Load(yaml);

    private static ComposeProject TutorialWithImage() =>
        Load(ComposeProjectLoaderTests.Tutorial.Replace("    build: .\n", "    build: .\n    image: tutorial-web\n", StringComparison.Ordinal));

    [Fact]
    public void Convert_Tutorial_DockerCliShapes()
    {
        var warnings = new List<string>();

        var services = StackConverter.Convert(TutorialWithImage(), "app", warnings);

        Assert.Equal(["redis", "web"], services.Select(s => s.ComposeName));
        var web = services[1].Spec;
        Assert.Equal("app_web", web.Name);
        Assert.Equal("app", web.Labels![StackConverter.NamespaceLabel]);
        Assert.Equal("tutorial-web", web.TaskTemplate.ContainerSpec!.Image);
        Assert.Equal("tutorial-web", web.TaskTemplate.ContainerSpec.Labels![StackConverter.ImageLabel]);
        Assert.Equal(5UL, web.Mode!.Replicated!.Replicas);
        Assert.Equal(100_000_000, web.TaskTemplate.Resources!.Limits!.NanoCPUs);
        Assert.Equal(50L * 1024 * 1024, web.TaskTemplate.Resources.Limits.MemoryBytes);
        Assert.Equal("on-failure", web.TaskTemplate.RestartPolicy!.Condition);
        var port = Assert.Single(web.EndpointSpec!.Ports!);
        Assert.Equal((5000u, 5000u, "host", "tcp"), (port.PublishedPort, port.TargetPort, port.PublishMode, port.Protocol));
        var mounts = web.TaskTemplate.ContainerSpec.Mounts!;
        Assert.Equal(("bind", "/tmp/tutorial", "/code"), (mounts[0].Type, mounts[0].Source, mounts[0].Target));
        Assert.Equal(("volume", "app_logvolume01", "/var/log"), (mounts[1].Type, mounts[1].Source, mounts[1].Target));
        var network = Assert.Single(web.TaskTemplate.Networks!);
        Assert.Equal("app_default", network.Target);
        Assert.Equal(["web"], network.Aliases!);
        Assert.Equal(["redis"], services[1].DependsOn);
        Assert.Contains(warnings, w => w.Contains("port 5000 is published in host mode", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("networks:", StringComparison.Ordinal));
    }

    [Fact]
    public void Networks_DefaultAndDeclared_LabelledExternalSkipped()
    {
        var project = Load("""
            services:
              a:
                image: x
                networks: [front, outside]
              b:
                image: x
            networks:
              front: {labels: {tier: web}}
              outside: {external: true, name: shared}
            """);

        var networks = StackConverter.Networks(project, "tutorial");

        Assert.Equal(["tutorial_front", "tutorial_default"], networks.Select(n => n.Name));
        Assert.All(networks, n => Assert.Equal(("overlay", "swarm", "tutorial"), (n.Driver, n.Scope, n.Labels![StackConverter.NamespaceLabel])));
        Assert.Equal("web", networks[0].Labels!["tier"]);
    }

    [Theory]
    [InlineData("restart: always", "any", null)]
    [InlineData("restart: \"no\"", "none", null)]
    [InlineData("restart: \"on-failure:3\"", "on-failure", 3UL)]
    [InlineData("deploy: {restart_policy: {condition: any, max_attempts: 2}}", "any", 2UL)]
    public void ConvertService_RestartPolicy_AsDockerCli(string yaml, string condition, ulong? attempts)
    {
        var project = Load($"services:\n  a:\n    image: x\n    {yaml}\n");

        var spec = StackConverter.ConvertService(project, "s", project.Service("a")!, new List<string>());

        Assert.Equal((condition, attempts), (spec.TaskTemplate.RestartPolicy!.Condition, spec.TaskTemplate.RestartPolicy.MaxAttempts));
    }

    [Fact]
    public void ConvertService_DeployKeys_ModePlacementUpdateEndpoint()
    {
        var project = Load("""
            services:
              a:
                image: x
                entrypoint: ["/bin/run"]
                command: ["--fast"]
                environment: {B: "2", A: "1"}
                extra_hosts: ["db:10.0.0.9"]
                deploy:
                  mode: global
                  endpoint_mode: dnsrr
                  placement:
                    constraints: ["node.role==manager"]
                    preferences: [{spread: node.labels.zone}]
                    max_replicas_per_node: 2
                  update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: rollback}
            """);

        var spec = StackConverter.ConvertService(project, "s", project.Service("a")!, new List<string>());

        Assert.NotNull(spec.Mode!.Global);
        Assert.Equal(["/bin/run"], spec.TaskTemplate.ContainerSpec!.Command);
        Assert.Equal(["--fast"], spec.TaskTemplate.ContainerSpec.Args);
        Assert.Equal(["A=1", "B=2"], spec.TaskTemplate.ContainerSpec.Env);
        Assert.Equal(["10.0.0.9 db"], spec.TaskTemplate.ContainerSpec.Hosts);
        Assert.Equal(["node.role==manager"], spec.TaskTemplate.Placement!.Constraints);
        Assert.Equal("node.labels.zone", spec.TaskTemplate.Placement.Preferences![0].Spread!.SpreadDescriptor);
        Assert.Equal(2UL, spec.TaskTemplate.Placement.MaxReplicas);
        Assert.Equal((2UL, 10_000_000_000L, "start-first", "rollback"), (spec.UpdateConfig!.Parallelism, spec.UpdateConfig.Delay, spec.UpdateConfig.Order, spec.UpdateConfig.FailureAction));
        Assert.Equal("dnsrr", spec.EndpointSpec!.Mode);
    }

    [Theory]
    [InlineData("services:\n  a:\n    build: .\n", "has no image")]
    [InlineData("services:\n  a:\n    image: x\n    network_mode: \"service:b\"\n  b:\n    image: x\n", "cannot be used in a swarm stack")]
    [InlineData("services:\n  a:\n    image: x\n    ports: [\"8000-8001:80\"]\n", "port ranges")]
    [InlineData("services:\n  a:\n    image: x\n    secrets: [{source: s, mode: \"0948\"}]\nsecrets:\n  s: {file: ./s.txt}\n", "invalid mode \"0948\"")]
    public void Convert_WhatASwarmCannotRun_OneClearError(string yaml, string error)
    {
        var project = Load(yaml);

        var e = Assert.Throws<ComposeEngineException>(() => StackConverter.Convert(project, "s", new List<string>()));
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_SecretsAndConfigs_DockerCliNamesTargetsAndModes()
    {
        var project = Load("""
            services:
              a:
                image: x
                secrets:
                  - s
                  - source: s
                    target: /etc/pw
                    uid: "100"
                    mode: 0400
                  - ext
                configs: [c]
              b:
                image: x
            secrets:
              s: {file: ./s.txt, labels: {team: a}}
              ext: {external: true, name: shared_pw}
              unused: {file: ./u.txt}
            configs:
              c: {environment: APP_CONF}
            """);

        var services = StackConverter.Convert(project, "st", new List<string>());
        var files = StackConverter.Files(project, "st");

        var cs = services.Single(s => s.ComposeName == "a").Spec.TaskTemplate.ContainerSpec!;
        Assert.Equal(
            [("st_s", "s", "0", 292u), ("st_s", "/etc/pw", "100", 256u), ("shared_pw", "ext", "0", 292u)],
            cs.Secrets!.Select(r => (r.SecretName, r.File!.Name, r.File.UID, r.File.Mode)));
        var config = Assert.Single(cs.Configs!);
        Assert.Equal(("st_c", "c"), (config.ConfigName, config.File!.Name));
        Assert.Null(services.Single(s => s.ComposeName == "b").Spec.TaskTemplate.ContainerSpec!.Secrets);
        Assert.Equal(
            [(true, "ext", "shared_pw", true), (true, "s", "st_s", false), (true, "unused", "st_unused", false), (false, "c", "st_c", false)],
            files.Select(f => (f.IsSecret, f.Key, f.Name, f.External)));
        Assert.EndsWith("/s.txt", files[1].File, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "a", [StackConverter.NamespaceLabel] = "st" }, files[1].Labels);
        Assert.Equal("APP_CONF", files[3].Environment);
    }
}
