using System.Security.Cryptography;
using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary>
/// Section 3 of the walkthrough with real processes: the tutorial's compose file (its `web` built from a
/// Dockerfile: busybox httpd whose page counts visits in redis) brought up on one host with `skiff compose`,
/// then deployed to a swarm with `skiff stack deploy`.
/// </summary>
[Collection("swarm")]
public sealed class ComposeStackTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(240);
    private readonly Skiffd _d;
    private readonly string _dir;
    private readonly int _port = Skiffd.FreePort();

    public ComposeStackTests()
    {
        _d = new Skiffd(["--hostname", "composer"]);
        _d.DockerOk("load", "-i", Repo.Image("busybox"));
        _d.DockerOk("load", "-i", Repo.Image("redis"));
        _dir = Path.Combine(_d.Root, "app-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2)));
        Directory.CreateDirectory(Path.Combine(_dir, "cgi-bin"));

        // The tutorial's file, with its port made free on this machine and the volume it uses declared
        // (compose v2 refuses an undeclared one, as Skiff does).
        File.WriteAllText(Path.Combine(_dir, "docker-compose.yml"), $$"""
            version: '3'
            services:
              web:
                build: .
                ports:
                - "{{_port}}:5000"
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

            """);
        File.WriteAllText(Path.Combine(_dir, "Dockerfile"), """
            FROM busybox
            WORKDIR /code
            COPY . /code
            RUN chmod +x /code/cgi-bin/index.cgi
            EXPOSE 5000
            CMD ["httpd", "-f", "-p", "5000", "-h", "/code"]

            """);
        var cgi = Path.Combine(_dir, "cgi-bin", "index.cgi");
        File.WriteAllText(cgi, """
            #!/bin/sh
            n=$(printf 'INCR hits\r\n' | nc -w 2 redis 6379 | tr -d ':\r')
            printf 'Content-Type: text/plain\r\n\r\nHello World! I have been seen %s times.\n' "$n"

            """);
        File.SetUnixFileMode(cgi, (UnixFileMode)0b111_101_101);
    }

    public void Dispose() => _d.Dispose();

    private string File_ => Path.Combine(_dir, "docker-compose.yml");

    private CliResult Compose(params string[] args) => _d.Skiff(Long, ["compose", "-f", File_, .. args]);

    private string ComposeOk(params string[] args)
    {
        var r = Compose(args);
        Assert.True(r.ExitCode == 0, $"skiff compose {string.Join(' ', args)} failed:\n{r}\ndaemon log:\n{_d.Tail(40)}");
        return r.Stdout + r.Stderr;
    }

    private static string Page(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string? body = null;
        Wait.Until(
            () =>
            {
                try
                {
                    body = http.GetStringAsync(url).GetAwaiter().GetResult();
                    return body.Contains("I have been seen", StringComparison.Ordinal);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            },
            Long,
            $"the visit counter page at {url}");
        return body!;
    }

    [Fact]
    public void ComposeUp_TutorialApp_PageCountsVisitsInRedis_DownRemovesAll()
    {
        var up = ComposeOk("up", "-d");
        var project = Path.GetFileName(_dir);

        // One precise warning for the replicas that cannot share the host port, none for the rest of deploy.
        Assert.Contains("5 replicas cannot all publish host port", up, StringComparison.Ordinal);
        Assert.Contains($" Container {project}-web-1  Started", up, StringComparison.Ordinal);
        Assert.Contains($" Network {project}_default  Created", up, StringComparison.Ordinal);
        var ps = ComposeOk("ps");
        Assert.Contains($"{project}-redis-1", ps, StringComparison.Ordinal);
        Assert.Contains($"0.0.0.0:{_port}->5000/tcp", ps, StringComparison.Ordinal);

        var first = Page($"http://127.0.0.1:{_port}/cgi-bin/index.cgi");
        var second = Page($"http://127.0.0.1:{_port}/cgi-bin/index.cgi");
        Assert.Matches(@"seen \d+ times", first);
        Assert.NotEqual(first, second);

        // Labels as compose writes them, and the limits of deploy.resources on the container.
        var inspect = _d.SkiffOk("inspect", "-f", "{{index .Config.Labels \"com.docker.compose.service\"}} {{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}", $"{project}-web-1");
        Assert.Equal("web 100000000 52428800", inspect.Trim());

        // Up again changes nothing; a changed file recreates only what changed.
        var again = ComposeOk("up", "-d");
        Assert.Contains($" Container {project}-web-1  Running", again, StringComparison.Ordinal);
        Assert.DoesNotContain("Recreate", again, StringComparison.Ordinal);
        ComposeOk("up", "-d", "--scale", "redis=2", "--no-deps", "redis");
        Assert.Contains($"{project}-redis-2", ComposeOk("ps"), StringComparison.Ordinal);

        Assert.Contains("redis", ComposeOk("logs", "--tail", "5", "redis"), StringComparison.Ordinal);
        var exec = Compose("exec", "-T", "web", "echo", "hi");
        Assert.Equal((0, "hi\n"), (exec.ExitCode, exec.Stdout));

        var down = ComposeOk("down", "-v");
        Assert.Contains($" Network {project}_default  Removed", down, StringComparison.Ordinal);
        Assert.Contains($" Volume {project}_logvolume01  Removed", down, StringComparison.Ordinal);
        Assert.Equal("", _d.SkiffOk("ps", "-aq", "--filter", $"label=com.docker.compose.project={project}").Trim());
        Assert.DoesNotContain($"{project}_default", _d.SkiffOk("network", "ls"), StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_BadFiles_OneClearErrorEach_NothingCreated()
    {
        var cases = new (string Yaml, string Error)[]
        {
            ("services:\n  a:\n    image: busybox\n    ports: [\"80:80:80:80\"]\n", "services.a.ports[0]"),
            ("services:\n  a:\n    image: busybox\n    depends_on: [nope]\n", "undefined service \"nope\""),
            ("services:\n  a:\n    image: \"${MISSING:?set MISSING first}\"\n", "set MISSING first"),
            ("services:\n  a: [\n", "compose.yaml"),
            ("services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n", "cycle"),
        };
        foreach (var (yaml, error) in cases)
        {
            var dir = Path.Combine(_d.Root, "bad-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2)));
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "compose.yaml"), yaml);
            var r = _d.Skiff("compose", "-f", Path.Combine(dir, "compose.yaml"), "up", "-d");
            Assert.True(r.ExitCode != 0, $"expected a failure for:\n{yaml}\n{r}");
            Assert.Contains(error, r.Stderr, StringComparison.Ordinal);
            Assert.Single(r.Stderr.Trim().Split('\n'), l => !l.StartsWith("WARN", StringComparison.Ordinal));
        }

        Assert.Equal("", _d.SkiffOk("ps", "-aq").Trim());
        Assert.DoesNotContain("_default", _d.SkiffOk("network", "ls"), StringComparison.Ordinal);
    }

    [Fact]
    public void StackDeploy_TutorialFile_TwoNodes_WebOnBothPageAnswersOnEach()
    {
        // Two nodes on one machine, each publishing host-mode ports on its own loopback address (skiffd --ip),
        // and a registry: the built web image is pushed there by `stack deploy` and pulled by the other node.
        var prefix = $"127.{RandomNumberGenerator.GetInt32(10, 250)}.{RandomNumberGenerator.GetInt32(1, 250)}";
        var swarmPort = RandomNumberGenerator.GetInt32(20000, 30000) & ~1;
        using var registry = new Registry();
        using var n1 = new Skiffd(["--hostname", "n1-common", "--ip", prefix + ".2"]);
        using var moby = new Skiffd(["--hostname", "moby", "--ip", prefix + ".3"]);
        foreach (var d in new[] { n1, moby })
        {
            d.DockerOk("load", "-i", Repo.Image("busybox"));
            d.DockerOk("load", "-i", Repo.Image("redis"));
        }

        n1.SkiffOk("swarm", "init", "--advertise-addr", prefix + ".2", "--listen-addr", $"{prefix}.2:{swarmPort}");
        var token = n1.SkiffOk("swarm", "join-token", "-q", "worker").Trim();
        moby.SkiffOk("swarm", "join", "--token", token, "--advertise-addr", prefix + ".3", $"{prefix}.2:{swarmPort}");

        // The tutorial's file; the built service names its image in the registry so every node can pull it.
        var image = $"127.0.0.1:{registry.Port}/tutorial-web";
        File.WriteAllText(File_, File.ReadAllText(File_).Replace("    build: .\n", $"    build: .\n    image: {image}\n", StringComparison.Ordinal));
        var deploy = n1.Skiff(Long, "stack", "deploy", "-c", File_, "tut");
        Assert.True(deploy.ExitCode == 0, deploy.ToString() + "\n" + n1.Tail(40));
        Assert.Contains("Creating network tut_default", deploy.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Pushing {image}", deploy.Stdout, StringComparison.Ordinal);
        Assert.Contains("published in host mode", deploy.Stderr, StringComparison.Ordinal);

        // redis (a dependency through links) converged before web was created.
        Assert.True(deploy.Stdout.IndexOf("Creating service tut_redis", StringComparison.Ordinal) < deploy.Stdout.IndexOf("Creating service tut_web", StringComparison.Ordinal));
        var limits = n1.SkiffOk("service", "inspect", "-f", "{{.Spec.TaskTemplate.Resources.Limits.NanoCPUs}} {{.Spec.Labels}}", "tut_web");
        Assert.StartsWith("100000000 map[com.docker.stack.namespace:tut]", limits, StringComparison.Ordinal);

        // Host mode: one web task per node holds the port; the other replicas wait, saying why.
        Wait.Until(
            () => n1.Skiff("stack", "ps", "tut", "--filter", "desired-state=running", "--format", "{{.Name}} {{.Node}} {{.CurrentState}}").Stdout
                .Split('\n').Count(l => l.StartsWith("tut_web.", StringComparison.Ordinal) && l.Contains("Running", StringComparison.Ordinal)) == 2,
            Long,
            "a running web task on each of the two nodes",
            () => n1.Skiff("stack", "ps", "tut", "--no-trunc").ToString() + "\n" + n1.Tail(30) + "\n" + moby.Tail(30));
        var ps = n1.SkiffOk("stack", "ps", "tut", "--no-trunc");
        Assert.Contains("n1-common", ps, StringComparison.Ordinal);
        Assert.Contains("moby", ps, StringComparison.Ordinal);
        Assert.Contains("host-mode port already in use", ps, StringComparison.Ordinal);
        Assert.Contains("I have been seen", Page($"http://{prefix}.2:{_port}/cgi-bin/index.cgi"), StringComparison.Ordinal);
        Assert.Contains("I have been seen", Page($"http://{prefix}.3:{_port}/cgi-bin/index.cgi"), StringComparison.Ordinal);
        Assert.Matches(@"tut\s+2", n1.SkiffOk("stack", "ls"));

        var rm = n1.SkiffOk("stack", "rm", "tut");
        Assert.Contains("Removing service tut_web", rm, StringComparison.Ordinal);
        Assert.Contains("Removing network tut_default", rm, StringComparison.Ordinal);
        Assert.Equal("", n1.SkiffOk("service", "ls", "-q").Trim());
    }

    [Fact]
    public void DockerStackDeploy_StockCli_CreatesOverlayNetworkAndServices_RmRemovesThem()
    {
        var ip = $"127.{RandomNumberGenerator.GetInt32(10, 250)}.{RandomNumberGenerator.GetInt32(1, 250)}.2";
        var swarmPort = RandomNumberGenerator.GetInt32(20000, 30000) & ~1;
        _d.DockerOk("swarm", "init", "--advertise-addr", ip, "--listen-addr", $"{ip}:{swarmPort}");
        var file = Path.Combine(_dir, "stack.yml");
        File.WriteAllText(file, """
            services:
              cache:
                image: redis
                deploy:
                  replicas: 2
            """);

        var deploy = _d.Docker(Long, "stack", "deploy", "-c", file, "--resolve-image", "never", "dk");
        Assert.True(deploy.ExitCode == 0, deploy.ToString() + "\n" + _d.Tail(40));
        Assert.Contains("Creating network dk_default", deploy.Stdout, StringComparison.Ordinal);
        Assert.Contains("Creating service dk_cache", deploy.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"dk_default\s+overlay\s+swarm", _d.DockerOk("network", "ls"));
        Wait.Until(
            () => _d.Docker("stack", "services", "dk").Stdout.Contains("2/2", StringComparison.Ordinal),
            Long,
            "dk_cache at 2/2 replicas",
            () => _d.Docker("stack", "ps", "dk", "--no-trunc").ToString() + "\n" + _d.Tail(40));
        Assert.Matches(@"dk\s+1", _d.DockerOk("stack", "ls"));

        // A network in use is refused; `stack rm` removes the services, then the network.
        var inUse = _d.Docker("network", "rm", "dk_default");
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("is in use by service", inUse.Stderr, StringComparison.Ordinal);
        var rm = _d.DockerOk("stack", "rm", "dk");
        Assert.Contains("Removing network dk_default", rm, StringComparison.Ordinal);
        Assert.DoesNotContain("dk_default", _d.DockerOk("network", "ls"), StringComparison.Ordinal);
    }

    /// <summary>The container of the one running task of <paramref name="service"/> (waits for it).</summary>
    private string TaskContainer(string service)
    {
        var id = "";
        Wait.Until(
            () => (id = _d.Docker("ps", "-q", "--filter", $"label=com.docker.swarm.service.name={service}").Stdout.Trim()).Length > 0,
            Long,
            $"a running container of service {service}",
            () => _d.Docker("service", "ps", service, "--no-trunc").ToString() + "\n" + _d.Tail(40));
        return id.Split('\n')[0];
    }

    [Fact]
    public void Secrets_StockCliAndStack_TasksReadThem_InUseRefused_ContentImmutable_StackRmRemoves()
    {
        var ip = $"127.{RandomNumberGenerator.GetInt32(10, 250)}.{RandomNumberGenerator.GetInt32(1, 250)}.2";
        var swarmPort = RandomNumberGenerator.GetInt32(20000, 30000) & ~1;
        _d.DockerOk("swarm", "init", "--advertise-addr", ip, "--listen-addr", $"{ip}:{swarmPort}");
        var dir = Path.Combine(_d.Root, "secrets");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "pw.txt"), "hunter2\n");
        File.WriteAllText(Path.Combine(dir, "app.conf"), "level=debug\n");

        // The stock CLI: create, list, use in a service with a target, uid and mode.
        var secretId = _d.DockerOk("secret", "create", "--label", "team=a", "db_pw", Path.Combine(dir, "pw.txt")).Trim();
        _d.DockerOk("config", "create", "app_conf", Path.Combine(dir, "app.conf"));
        Assert.Matches($@"{secretId}\s+db_pw\s", _d.SkiffOk("secret", "ls"));
        Assert.Contains("level=debug", _d.SkiffOk("config", "inspect", "--pretty", "app_conf"), StringComparison.Ordinal);
        _d.DockerOk("service", "create", "--detach", "--no-resolve-image", "--name", "sv",
            "--secret", "db_pw", "--secret", "source=db_pw,target=/etc/pw,uid=100,mode=0400",
            "--config", "src=app_conf,target=/etc/app.conf", "busybox", "sleep", "300");
        var c = TaskContainer("sv");
        Assert.Equal("hunter2\nlevel=debug\n0:0 444\n100:0 400\n",
            _d.DockerOk("exec", c, "sh", "-c", "cat /run/secrets/db_pw /etc/app.conf; stat -c '%u:%g %a' /run/secrets/db_pw /etc/pw"));
        var inUse = _d.Docker("secret", "rm", "db_pw");
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("secret 'db_pw' is in use by the following service: sv", inUse.Stderr, StringComparison.Ordinal);
        _d.DockerOk("service", "rm", "sv");
        Assert.Equal("db_pw", _d.DockerOk("secret", "rm", "db_pw").Trim());

        // A stack: the stock CLI creates STACK_s1 and STACK_c1; new content for an existing secret is refused.
        var stack = Path.Combine(dir, "stack.yml");
        File.WriteAllText(Path.Combine(dir, "s1.txt"), "from-stack\n");
        File.WriteAllText(stack, """
            services:
              app:
                image: busybox
                command: sleep 300
                secrets: [s1]
                configs: [{source: c1, target: /c1.conf}]
            secrets:
              s1: {file: ./s1.txt, labels: {team: a}}
            configs:
              c1: {file: ./app.conf}
            """);
        var deploy = _d.Docker(Long, "stack", "deploy", "-c", stack, "--resolve-image", "never", "sec");
        Assert.True(deploy.ExitCode == 0, deploy.ToString() + "\n" + _d.Tail(40));
        Assert.Contains("Creating secret sec_s1", deploy.Stdout, StringComparison.Ordinal);
        Assert.Contains("Creating config sec_c1", deploy.Stdout, StringComparison.Ordinal);
        Assert.Equal("from-stack\nlevel=debug\n", _d.DockerOk("exec", TaskContainer("sec_app"), "cat", "/run/secrets/s1", "/c1.conf"));
        var again = _d.Skiff(Long, "stack", "deploy", "-c", stack, "sec");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal("a sec", _d.DockerOk("secret", "inspect", "sec_s1", "--format", "{{index .Spec.Labels \"team\"}} {{index .Spec.Labels \"com.docker.stack.namespace\"}}").Trim());
        File.WriteAllText(Path.Combine(dir, "s1.txt"), "changed\n");
        var changed = _d.Skiff(Long, "stack", "deploy", "-c", stack, "sec");
        Assert.NotEqual(0, changed.ExitCode);
        Assert.Contains("failed to update secret sec_s1", changed.Stderr, StringComparison.Ordinal);
        Assert.Contains("only updates to Labels are allowed", changed.Stderr, StringComparison.Ordinal);

        var rm = _d.SkiffOk("stack", "rm", "sec");
        Assert.Contains("Removing secret sec_s1", rm, StringComparison.Ordinal);
        Assert.Contains("Removing config sec_c1", rm, StringComparison.Ordinal);
        Assert.DoesNotContain("sec_s1", _d.DockerOk("secret", "ls"), StringComparison.Ordinal);
        Assert.DoesNotContain("sec_c1", _d.DockerOk("config", "ls"), StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeUp_ServiceRemovedFromFile_OrphanWarnedKeptThenRemovedWithRemoveOrphans()
    {
        var dir = Path.Combine(_d.Root, "compose-orphans");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "compose.yaml");
        string Names() => string.Join(',', _d.DockerOk("ps", "-a", "--filter", "label=com.docker.compose.project=orph", "--format", "{{.Names}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        File.WriteAllText(file, """
            name: orph
            services:
              a: {image: busybox, command: sleep 300}
              b: {image: busybox, command: sleep 300}
            """);
        var first = _d.Skiff(Long, "compose", "-f", file, "up", "-d");
        Assert.True(first.ExitCode == 0, first + "\n" + _d.Tail(40));
        Assert.Equal("orph-a-1,orph-b-1", Names());

        // b leaves the file: up warns (compose v2's text) and leaves its container alone.
        File.WriteAllText(file, """
            name: orph
            services:
              a: {image: busybox, command: sleep 300}
            """);
        var warned = _d.Skiff(Long, "compose", "-f", file, "up", "-d");
        Assert.True(warned.ExitCode == 0, warned + "\n" + _d.Tail(40));
        Assert.Contains("Found orphan containers ([orph-b-1]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.", warned.Stderr, StringComparison.Ordinal);
        Assert.Equal("orph-a-1,orph-b-1", Names());

        // --remove-orphans removes it, and only it; a is untouched (same container).
        var aId = _d.DockerOk("inspect", "orph-a-1", "--format", "{{.Id}}").Trim();
        var removed = _d.Skiff(Long, "compose", "-f", file, "up", "-d", "--remove-orphans");
        Assert.True(removed.ExitCode == 0, removed + "\n" + _d.Tail(40));
        Assert.DoesNotContain("Found orphan containers", removed.Stderr, StringComparison.Ordinal);
        Assert.Equal("orph-a-1", Names());
        Assert.Equal(aId, _d.DockerOk("inspect", "orph-a-1", "--format", "{{.Id}}").Trim());

        _d.SkiffOk("compose", "-f", file, "down");
        Assert.Equal("", Names());
    }

    [Fact]
    public void ComposePull_FromRealRegistry_PullsImageServices_FailureExitsUnlessIgnored()
    {
        using var registry = new Registry();
        var image = $"127.0.0.1:{registry.Port}/pulltest/busybox:1";
        var id = _d.DockerOk("inspect", "-f", "{{.Id}}", "busybox").Trim();
        _d.DockerOk("tag", "busybox", image);
        _d.DockerOk("push", image);
        _d.DockerOk("rmi", image);
        var dir = Path.Combine(_d.Root, "compose-pull");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "compose.yaml");
        File.WriteAllText(file, $$"""
            name: pull
            services:
              app: {image: "{{image}}", command: sleep 300}
            """);

        var pulled = _d.Skiff(Long, "compose", "-f", file, "pull");
        Assert.True(pulled.ExitCode == 0, pulled + "\n" + _d.Tail(40));
        Assert.Equal(id, _d.DockerOk("inspect", "-f", "{{.Id}}", image).Trim());
        Assert.Equal("", _d.DockerOk("ps", "-a", "--filter", "label=com.docker.compose.project=pull", "-q").Trim()); // pull creates nothing

        // An image the registry does not have: a failure, unless ignored (then a warning and the rest pulled).
        File.AppendAllText(file, $"\n  gone: {{image: \"127.0.0.1:{registry.Port}/pulltest/missing:1\"}}\n");
        var failed = _d.Skiff(Long, "compose", "-f", file, "pull");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("Error response from daemon: ", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains("pulltest/missing", failed.Stderr, StringComparison.Ordinal);
        var ignored = _d.Skiff(Long, "compose", "-f", file, "pull", "--ignore-pull-failures");
        Assert.True(ignored.ExitCode == 0, ignored.ToString());
        Assert.Contains("pulltest/missing", ignored.Stderr, StringComparison.Ordinal);
        _d.DockerOk("rmi", image);
    }

    [Fact]
    public void ComposeUp_FileSecret_MountedReadOnlyAtRunSecrets()
    {
        var dir = Path.Combine(_d.Root, "compose-secrets");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "pw.txt"), "hunter2\n");
        var file = Path.Combine(dir, "compose.yaml");
        File.WriteAllText(file, """
            name: cs
            services:
              app:
                image: busybox
                command: sleep 300
                secrets: [pw]
            secrets:
              pw: {file: ./pw.txt}
            """);

        var up = _d.Skiff(Long, "compose", "-f", file, "up", "-d");
        Assert.True(up.ExitCode == 0, up.ToString() + "\n" + _d.Tail(40));
        Assert.Equal("hunter2\nread-only\n", _d.DockerOk("exec", "cs-app-1", "sh", "-c", "cat /run/secrets/pw; (echo x > /run/secrets/pw) 2>/dev/null || echo read-only"));
        _d.SkiffOk("compose", "-f", file, "down");
    }

    [Fact]
    public void ComposeUp_DependsOnConditions_WaitAndRun()
    {
        var dir = Path.Combine(_d.Root, "deps");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "compose.yaml");
        File.WriteAllText(file, """
            services:
              db:
                image: busybox
                command: sh -c 'sleep 1; touch /tmp/ready; sleep 300'
                healthcheck:
                  test: ["CMD", "test", "-f", "/tmp/ready"]
                  interval: 1s
                  retries: 60
              init:
                image: busybox
                command: "true"
              app:
                image: busybox
                command: sleep 300
                environment: [ROLE=app]
                depends_on:
                  db: {condition: service_healthy}
                  init: {condition: service_completed_successfully}
            """);

        var up = _d.Skiff(Long, "compose", "-f", file, "up", "--wait");
        Assert.True(up.ExitCode == 0, up.ToString() + "\n" + _d.Tail(30));

        // app starts only after db is healthy and init has exited 0.
        var log = up.Stderr;
        var healthy = log.IndexOf(" Container deps-db-1  Healthy", StringComparison.Ordinal);
        var exited = log.IndexOf(" Container deps-init-1  Exited", StringComparison.Ordinal);
        Assert.True(healthy >= 0 && exited >= 0, log);
        var appStarted = log.IndexOf(" Container deps-app-1  Started", StringComparison.Ordinal);
        Assert.True(appStarted > healthy && appStarted > exited, log);

        // A one-off container of app: its environment, its exit code, removed with --rm.
        var run = _d.Skiff(Long, "compose", "-f", file, "run", "--rm", "-T", "app", "sh", "-c", "echo role=$ROLE; exit 3");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("role=app", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("deps-app-run-", _d.SkiffOk("ps", "-a", "--format", "{{.Names}}"), StringComparison.Ordinal);

        var ls = _d.SkiffOk("compose", "ls");
        Assert.Matches(@"deps\s+exited\(1\), running\(2\)\s+", ls);
        _d.SkiffOk("compose", "-f", file, "down");
        Assert.Equal("", _d.SkiffOk("ps", "-aq").Trim());

        // Attached up: every container's lines with its prefix, until all have exited.
        var attachedFile = Path.Combine(dir, "attached.yaml");
        File.WriteAllText(attachedFile, """
            name: att
            services:
              hello:
                image: busybox
                command: sh -c "echo one; echo two"
            """);
        var attached = _d.Skiff(Long, "compose", "-f", attachedFile, "up");
        Assert.Equal(0, attached.ExitCode);
        Assert.Contains("Attaching to att-hello-1", attached.Stdout, StringComparison.Ordinal);
        Assert.Contains("att-hello-1  | one\natt-hello-1  | two\n", attached.Stdout, StringComparison.Ordinal);
        Assert.Contains("att-hello-1 exited with code 0", attached.Stdout, StringComparison.Ordinal);
        _d.SkiffOk("compose", "-f", attachedFile, "down");
    }
}
