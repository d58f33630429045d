using System.Text;

namespace Skiff.Compose.Tests;

public sealed class ComposeMergerTests
{
    internal static ComposeMapping MergeYaml(params string[] files) =>
        ComposeMerger.Merge(files.SelectMany((f, i) => YamlLoader.LoadDocuments(f, $"f{i}.yaml")).ToList());

    /// <summary>Compact flow rendering of a tree: {k: v}, [a, b], null.</summary>
    internal static string Flow(ComposeNode? node)
    {
        var sb = new StringBuilder();
        Write(node);
        return sb.ToString();

        void Write(ComposeNode? n)
        {
            switch (n)
            {
                case null:
                    sb.Append("<absent>");
                    break;
                case ComposeScalar { IsNull: true }:
                    sb.Append("null");
                    break;
                case ComposeScalar s:
                    sb.Append(s.Value);
                    break;
                case ComposeSequence seq:
                    sb.Append('[');
                    for (var i = 0; i < seq.Items.Count; i++)
                    {
                        sb.Append(i == 0 ? "" : ", ");
                        Write(seq.Items[i]);
                    }

                    sb.Append(']');
                    break;
                case ComposeMapping m:
                    sb.Append('{');
                    for (var i = 0; i < m.Entries.Count; i++)
                    {
                        sb.Append(i == 0 ? "" : ", ").Append(m.Entries[i].Key).Append(": ");
                        Write(m.Entries[i].Value);
                    }

                    sb.Append('}');
                    break;
            }
        }
    }

    private static ComposeNode? Web(ComposeMapping root, string key) =>
        ((ComposeMapping)((ComposeMapping)root["services"]!)["web"]!)[key];

    public static TheoryData<string, string, string, string> Rules => new()
    {
        // Mapping: missing entries added, conflicting ones merged (13-merge.md "Mapping").
        { "build: {context: ., args: {A: 1}}", "build: {dockerfile: D, args: {B: 2}}", "build", "{context: ., args: {A: 1, B: 2}, dockerfile: D}" },
        // build short syntax is the context (compose-go mergeBuild).
        { "build: .", "build: {dockerfile: D}", "build", "{context: ., dockerfile: D}" },
        { "build: {context: a, target: t}", "build: b", "build", "{context: b, target: t}" },
        // a single string is a one-item list (compose-go convertIntoSequence).
        { "dns: 1.1.1.1", "dns: [8.8.8.8]", "dns", "[1.1.1.1, 8.8.8.8]" },
        { "env_file: a.env", "env_file: b.env", "env_file", "[a.env, b.env]" },
        // Scalars replaced.
        { "image: a", "image: b", "image", "b" },
        // Sequences appended (13-merge.md "Sequence").
        { "volumes_from: [a]", "volumes_from: [b]", "volumes_from", "[a, b]" },
        // Shell commands replaced (13-merge.md "Shell commands").
        { "command: [echo, foo]", "command: [echo, bar]", "command", "[echo, bar]" },
        { "entrypoint: [a, b]", "entrypoint: c", "entrypoint", "c" },
        { "healthcheck: {test: [CMD, a], retries: 3}", "healthcheck: {test: [CMD, b]}", "healthcheck", "{test: [CMD, b], retries: 3}" },
        // environment / labels: list syntax normalised to a mapping, merged by key (compose-go mergeToSequence + unicity).
        { "environment: [A=1, B=2]", "environment: {B: 3, C: 4}", "environment", "{A: 1, B: 3, C: 4}" },
        { "environment: {A: 1}", "environment: [A]", "environment", "{A: null}" },
        { "labels: [a=1]", "labels: [a=2, b=3]", "labels", "{a: 2, b: 3}" },
        { "extra_hosts: ['h1:1.1.1.1']", "extra_hosts: ['h1=2.2.2.2', 'h2:3.3.3.3']", "extra_hosts", "{h1: 2.2.2.2, h2: 3.3.3.3}" },
        // Unique resources (13-merge.md "Unique resources"): ports by ip:published:target/protocol.
        { "ports: ['8080:80', '443:443']", "ports: ['8080:80', '9090:90']", "ports", "[8080:80, 443:443, 9090:90]" },
        { "ports: ['8080:80']", "ports: [{target: 80, published: '8080'}]", "ports", "[{target: 80, published: 8080}]" },
        { "ports: ['8080:80/udp']", "ports: ['8080:80']", "ports", "[8080:80/udp, 8080:80]" },
        // volumes by target.
        { "volumes: ['./a:/data', 'v:/x']", "volumes: ['./b:/data']", "volumes", "[./b:/data, v:/x]" },
        { "volumes: ['./a:/data']", "volumes: [{type: volume, source: v, target: /data}]", "volumes", "[{type: volume, source: v, target: /data}]" },
        // secrets / configs by target (default /run/secrets/<source>).
        { "secrets: [s1]", "secrets: [{source: s1, mode: 0400}, s2]", "secrets", "[{source: s1, mode: 0400}, s2]" },
        { "configs: [c1]", "configs: [c1, c2]", "configs", "[c1, c2]" },
        // unique-append lists.
        { "dns: [1.1.1.1]", "dns: [8.8.8.8, 1.1.1.1]", "dns", "[1.1.1.1, 8.8.8.8]" },
        { "dns_search: [a]", "dns_search: [a, b]", "dns_search", "[a, b]" },
        { "env_file: [a.env]", "env_file: [a.env, b.env]", "env_file", "[a.env, b.env]" },
        { "tmpfs: [/run]", "tmpfs: [/run, /tmp]", "tmpfs", "[/run, /tmp]" },
        // depends_on merged as a mapping; list entries get the defaults (compose-go mergeDependsOn).
        { "depends_on: [db]", "depends_on: {db: {condition: service_healthy}}", "depends_on", "{db: {condition: service_healthy, required: true}}" },
        { "depends_on: {db: {condition: service_healthy}}", "depends_on: [cache]", "depends_on", "{db: {condition: service_healthy}, cache: {condition: service_started, required: true}}" },
        // networks merged as a mapping (compose-go mergeNetworks).
        { "networks: [front]", "networks: {front: {aliases: [w]}, back: null}", "networks", "{front: {aliases: [w]}, back: null}" },
        { "networks: {front: {aliases: [a]}}", "networks: [front]", "networks", "{front: {aliases: [a]}}" },
        // logging options merged only for the same driver (compose-go mergeLogging).
        { "logging: {driver: json-file, options: {max-size: 1m}}", "logging: {driver: syslog}", "logging", "{driver: syslog}" },
        { "logging: {driver: json-file, options: {max-size: 1m}}", "logging: {options: {max-file: 3}}", "logging", "{driver: json-file, options: {max-size: 1m, max-file: 3}}" },
        // !reset removes; !override replaces.
        { "ports: ['80:80']", "ports: !reset []", "ports", "<absent>" },
        { "image: a", "image: !reset null", "image", "<absent>" },
        { "ports: ['80:80']", "ports: !override ['81:81']", "ports", "[81:81]" },
        { "environment: {A: 1, B: 2}", "environment: !override {C: 3}", "environment", "{C: 3}" },
        // x- extensions replaced, not merged.
        { "x-a: {k: 1}", "x-a: {j: 2}", "x-a", "{j: 2}" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Merge_ServiceAttribute_FollowsSpecRule(string @base, string over, string key, string expected)
    {
        var merged = MergeYaml($"services:\n  web: {{{@base}}}\n", $"services:\n  web: {{{over}}}\n");
        Assert.Equal(expected, Flow(Web(merged, key)));
    }

    [Fact]
    public void Merge_SingleFileWithReset_RemovesValue()
    {
        var merged = MergeYaml("services:\n  web:\n    image: a\n    ports: !reset ['80:80']\n");
        Assert.Equal("{image: a}", Flow(((ComposeMapping)merged["services"]!)["web"]));
    }

    [Fact]
    public void Merge_ThreeFiles_LaterWins()
    {
        var merged = MergeYaml("services: {web: {image: a}}", "services: {web: {image: b}, db: {image: pg}}", "services: {web: {image: c}}");
        Assert.Equal("{web: {image: c}, db: {image: pg}}", Flow(merged["services"]));
    }

    [Fact]
    public void Merge_TopLevelVolumes_MergedRecursively()
    {
        var merged = MergeYaml("volumes: {data: {driver: local}}", "volumes: {data: {labels: [a=b]}, other: {}}");
        Assert.Equal("{data: {driver: local, labels: {a: b}}, other: {}}", Flow(merged["volumes"]));
    }

    [Fact]
    public void Merge_SequenceOverMapping_ErrorNamesPath()
    {
        var e = Assert.Throws<ComposeFileException>(() => MergeYaml("services: {web: {build: {context: .}}}", "services:\n  web:\n    build: [x]\n"));
        Assert.Equal("f1.yaml:3:12: cannot override services.web.build: incompatible types", e.Message);
    }

    [Fact]
    public void Merge_Empty_ReturnsEmptyMapping()
    {
        Assert.Equal(0, ComposeMerger.Merge([]).Count);
    }
}
