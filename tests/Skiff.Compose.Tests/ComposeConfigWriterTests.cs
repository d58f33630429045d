namespace Skiff.Compose.Tests;

public sealed class ComposeConfigWriterTests
{
    [Fact]
    public void ToYaml_Tutorial_LikeDockerComposeConfig()
    {
        var project = ComposeProjectLoaderTests.Load(ComposeProjectLoaderTests.Tutorial);
        const string expected = """
            name: tutorial
            services:
              redis:
                image: redis
                networks:
                  default: null
              web:
                build:
                  context: /tmp/tutorial
                  dockerfile: Dockerfile
                depends_on:
                  redis:
                    condition: service_started
                    required: true
                deploy:
                  replicas: 5
                  resources:
                    limits:
                      cpus: 0.1
                      memory: "52428800"
                  restart_policy:
                    condition: on-failure
                links:
                  - redis
                networks:
                  default: null
                ports:
                  - mode: ingress
                    target: 5000
                    published: "5000"
                    protocol: tcp
                volumes:
                  - type: bind
                    source: /tmp/tutorial
                    target: /code
                    bind:
                      create_host_path: true
                  - type: volume
                    source: logvolume01
                    target: /var/log
                    volume: {}
            networks:
              default:
                name: tutorial_default
            volumes:
              logvolume01:
                name: tutorial_logvolume01

            """;
        Assert.Equal(expected, ComposeConfigWriter.ToYaml(project));
    }

    [Fact]
    public void ToJson_Tutorial_LikeDockerComposeConfigJson()
    {
        var project = ComposeProjectLoaderTests.Load(ComposeProjectLoaderTests.Tutorial);
        const string expected = """
            {
              "name": "tutorial",
              "services": {
                "redis": {
                  "image": "redis",
                  "networks": {
                    "default": null
                  }
                },
                "web": {
                  "build": {
                    "context": "/tmp/tutorial",
                    "dockerfile": "Dockerfile"
                  },
                  "depends_on": {
                    "redis": {
                      "condition": "service_started",
                      "required": true
                    }
                  },
                  "deploy": {
                    "replicas": 5,
                    "resources": {
                      "limits": {
                        "cpus": 0.1,
                        "memory": "52428800"
                      }
                    },
                    "restart_policy": {
                      "condition": "on-failure"
                    }
                  },
                  "links": [
                    "redis"
                  ],
                  "networks": {
                    "default": null
                  },
                  "ports": [
                    {
                      "mode": "ingress",
                      "target": 5000,
                      "published": "5000",
                      "protocol": "tcp"
                    }
                  ],
                  "volumes": [
                    {
                      "type": "bind",
                      "source": "/tmp/tutorial",
                      "target": "/code",
                      "bind": {
                        "create_host_path": true
                      }
                    },
                    {
                      "type": "volume",
                      "source": "logvolume01",
                      "target": "/var/log",
                      "volume": {}
                    }
                  ]
                }
              },
              "networks": {
                "default": {
                  "name": "tutorial_default"
                }
              },
              "volumes": {
                "logvolume01": {
                  "name": "tutorial_logvolume01"
                }
              }
            }

            """;
        Assert.Equal(expected, ComposeConfigWriter.ToJson(project));
    }

    [Fact]
    public void ToYaml_EnvironmentAndHealthcheck_SortedAndQuoted()
    {
        var project = ComposeProjectLoaderTests.Load("""
            services:
              app:
                image: app
                command: echo "a b"
                environment: [B=true, A=x, EMPTY=, UNSET]
                healthcheck:
                  test: [CMD, curl, -f, "http://localhost"]
                  interval: 90s
                depends_on: [db]
              db:
                image: pg
                ports: ["127.0.0.1:5432:5432/udp"]
            """);
        const string expected = """
            name: tutorial
            services:
              app:
                command:
                  - echo
                  - a b
                depends_on:
                  db:
                    condition: service_started
                    required: true
                environment:
                  A: x
                  B: "true"
                  EMPTY: ""
                  UNSET: null
                healthcheck:
                  test:
                    - CMD
                    - curl
                    - -f
                    - http://localhost
                  interval: 1m30s
                image: app
                networks:
                  default: null
              db:
                image: pg
                networks:
                  default: null
                ports:
                  - mode: ingress
                    host_ip: 127.0.0.1
                    target: 5432
                    published: "5432"
                    protocol: udp
            networks:
              default:
                name: tutorial_default

            """;
        Assert.Equal(expected, ComposeConfigWriter.ToYaml(project));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("5000", "\"5000\"")]
    [InlineData("true", "\"true\"")]
    [InlineData("", "\"\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("*x", "\"*x\"")]
    [InlineData("say \"hi\"", "say \"hi\"")]
    [InlineData("-x", "-x")]
    [InlineData("- x", "\"- x\"")]
    public void Quote_AmbiguousScalars_DoubleQuoted(string value, string expected)
    {
        Assert.Equal(expected, ComposeConfigWriter.Quote(value));
    }

    [Fact]
    public void ToYamlAndToJson_DollarsEscaped_OutputReloadsToTheSameValues()
    {
        // "$$HOME" in the file is the literal $HOME; compose config writes it back as $$HOME.
        var project = ComposeProjectLoaderTests.Load("services:\n  web:\n    image: a\n    environment:\n      P: \"$$HOME/x\"\n");
        Assert.Equal("$HOME/x", project.Service("web")!.Environment["P"]);
        var yaml = ComposeConfigWriter.ToYaml(project);
        Assert.Contains("P: $$HOME/x\n", yaml, StringComparison.Ordinal);
        Assert.Contains("\"P\": \"$$HOME/x\"", ComposeConfigWriter.ToJson(project), StringComparison.Ordinal);
        var reloaded = ComposeProjectLoaderTests.Load(yaml);
        Assert.Equal("$HOME/x", reloaded.Service("web")!.Environment["P"]);
    }
}
