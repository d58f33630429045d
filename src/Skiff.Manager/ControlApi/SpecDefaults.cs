using System.Text.RegularExpressions;
using Skiff.Api;
using Skiff.Manager.Scheduling;

namespace Skiff.Manager.ControlApi;

/// <summary>
/// Service spec validation (swarmkit <c>controlapi/service.go</c>) and the defaults Docker stores
/// or shows. Errors are Docker's texts, wrapped as swarmkit's gRPC errors are by dockerd.
/// </summary>
public static partial class SpecDefaults
{
    public const long DefaultStopGracePeriod = 10_000_000_000;
    public const long DefaultRestartDelay = 5_000_000_000;
    public const long DefaultMonitor = 5_000_000_000;

    /// <summary>An InvalidArgument error as dockerd reports swarmkit's (400).</summary>
    public static BadRequestException Invalid(string message) => new("rpc error: code = InvalidArgument desc = " + message);

    /// <summary>Fills what Docker stores on create (replicas 1, endpoint mode vip) and validates; returns a new spec.</summary>
    public static ServiceSpecWire Normalise(ServiceSpecWire input)
    {
        var spec = input.Clone();
        spec.Mode ??= new ServiceModeWire { Replicated = new ReplicatedMode() };
        var modes = (spec.Mode.Replicated is null ? 0 : 1) + (spec.Mode.Global is null ? 0 : 1)
            + (spec.Mode.ReplicatedJob is null ? 0 : 1) + (spec.Mode.GlobalJob is null ? 0 : 1);
        if (modes == 0)
        {
            spec.Mode.Replicated = new ReplicatedMode();
        }
        else if (modes > 1)
        {
            throw Invalid("service mode must be exactly one of replicated, global, replicated-job, global-job");
        }

        if (spec.Mode.Replicated is { } r)
        {
            r.Replicas ??= 1;
        }

        if (spec.Mode.ReplicatedJob is { } j)
        {
            j.TotalCompletions ??= j.MaxConcurrent ?? 1;
            j.MaxConcurrent ??= 1;
        }

        spec.EndpointSpec ??= new EndpointSpecWire();
        spec.EndpointSpec.Mode = string.IsNullOrEmpty(spec.EndpointSpec.Mode) ? "vip" : spec.EndpointSpec.Mode;
        foreach (var p in spec.EndpointSpec.Ports ?? [])
        {
            p.Protocol = string.IsNullOrEmpty(p.Protocol) ? "tcp" : p.Protocol;
            p.PublishMode = string.IsNullOrEmpty(p.PublishMode) ? "ingress" : p.PublishMode;
        }

        spec.Labels ??= [];
        Validate(spec);
        return spec;
    }

    private static void Validate(ServiceSpecWire spec)
    {
        if (string.IsNullOrEmpty(spec.Name))
        {
            throw Invalid("meta: name must be provided");
        }

        if (spec.Name.Length > 63 || !NamePattern().IsMatch(spec.Name))
        {
            throw Invalid($"name must be valid as a DNS name component");
        }

        var container = spec.TaskTemplate.ContainerSpec
            ?? throw Invalid("TaskSpec: missing runtime");
        if (string.IsNullOrWhiteSpace(container.Image))
        {
            throw Invalid("ContainerSpec: image reference must be provided");
        }

        if (container.StopGracePeriod is < 0)
        {
            throw Invalid("ContainerSpec: stop grace period must be non-negative");
        }

        if (spec.TaskTemplate.Runtime is { Length: > 0 } runtime && runtime != "container")
        {
            throw Invalid($"TaskSpec: runtime {runtime} is not supported (only container)");
        }

        // The deprecated top-level Networks move into the task template, as swarmkit does; the control API then
        // resolves each target to a swarm network.
        if (spec.Networks is { Count: > 0 } top)
        {
            if (spec.TaskTemplate.Networks is { Count: > 0 })
            {
                throw Invalid("networks must be given in TaskTemplate.Networks or Networks, not both");
            }

            spec.TaskTemplate.Networks = top;
            spec.Networks = null;
        }

        if (spec.TaskTemplate.RestartPolicy is { } rp)
        {
            if (rp.Condition is { Length: > 0 } c && c is not ("none" or "on-failure" or "any"))
            {
                throw Invalid($"TaskSpec: invalid RestartCondition {c}: must be none, on-failure or any");
            }

            if (rp.Delay is < 0 || rp.Window is < 0)
            {
                throw Invalid("TaskSpec: restart-delay and restart-window cannot be negative");
            }
        }

        ValidateUpdate(spec.UpdateConfig, "UpdateConfig");
        ValidateUpdate(spec.RollbackConfig, "RollbackConfig");
        if (spec.TaskTemplate.Resources is { } res)
        {
            if (res.Limits is { NanoCPUs: < 0 } or { MemoryBytes: < 0 } || res.Reservations is { NanoCPUs: < 0 } or { MemoryBytes: < 0 })
            {
                throw Invalid("TaskSpec: resources cannot be negative");
            }

            if (res.Limits is { NanoCPUs: > 0 } l && res.Reservations is { NanoCPUs: > 0 } rv && rv.NanoCPUs > l.NanoCPUs)
            {
                throw Invalid("TaskSpec: reserved CPU cannot exceed the CPU limit");
            }
        }

        foreach (var expression in spec.TaskTemplate.Placement?.Constraints ?? [])
        {
            if (!Constraint.TryParse(expression, out _, out var error))
            {
                // Docker answers only "constraint expected one operator from ==, !="; an old habit
                // (the tutorial's node.labels.type=db) deserves the fix spelled out.
                var hint = error == Constraint.MissingOperatorMessage && expression.Split('=') is [var k, var v] && k.Length > 0
                    ? $" (did you mean '{k}=={v}'?)"
                    : "";
                throw Invalid($"error parsing constraint '{expression}': {error}{hint}");
            }
        }

        foreach (var pref in spec.TaskTemplate.Placement?.Preferences ?? [])
        {
            if (pref.Spread is not { SpreadDescriptor.Length: > 0 })
            {
                throw Invalid("placement preference must be spread=<node.labels.x or engine.labels.x>");
            }
        }

        var seen = new HashSet<(string, uint)>();
        foreach (var p in spec.EndpointSpec?.Ports ?? [])
        {
            if (p.TargetPort is 0 or > 65535 || p.PublishedPort > 65535)
            {
                throw Invalid($"EndpointSpec: invalid port {p.PublishedPort}:{p.TargetPort}");
            }

            if (p.Protocol is not ("tcp" or "udp" or "sctp"))
            {
                throw Invalid($"EndpointSpec: invalid protocol {p.Protocol}");
            }

            if (p.PublishMode is not ("ingress" or "host"))
            {
                throw Invalid($"EndpointSpec: invalid publish mode {p.PublishMode}: must be ingress or host");
            }

            if (p.PublishedPort > 0 && !seen.Add((p.Protocol, p.PublishedPort)))
            {
                throw Invalid($"EndpointSpec: duplicate published ports provided");
            }
        }

        if (spec.EndpointSpec?.Mode is { } mode && mode is not ("vip" or "dnsrr"))
        {
            throw Invalid($"EndpointSpec: invalid endpoint mode {mode}: must be vip or dnsrr");
        }
    }

    private static void ValidateUpdate(UpdateConfigWire? u, string what)
    {
        if (u is null)
        {
            return;
        }

        if (u.Delay < 0 || u.Monitor < 0)
        {
            throw Invalid($"{what}: delay and monitor cannot be negative");
        }

        if (u.MaxFailureRatio is < 0 or > 1)
        {
            throw Invalid($"{what}: max failure ratio must be between 0 and 1");
        }

        if (u.FailureAction is { Length: > 0 } a && a is not ("pause" or "continue" or "rollback"))
        {
            throw Invalid($"{what}: failure action {a} must be pause, continue or rollback");
        }

        if (u.Order is { Length: > 0 } o && o is not ("stop-first" or "start-first"))
        {
            throw Invalid($"{what}: order {o} must be stop-first or start-first");
        }
    }

    /// <summary>The spec as <c>GET /services/X?insertDefaults=true</c> shows it.</summary>
    public static ServiceSpecWire WithDefaults(ServiceSpecWire stored)
    {
        var spec = stored.Clone();
        var c = spec.TaskTemplate.ContainerSpec ??= new ContainerSpecWire();
        c.StopGracePeriod ??= DefaultStopGracePeriod;
        c.DNSConfig ??= System.Text.Json.JsonDocument.Parse("{}").RootElement.Clone();
        c.Isolation ??= "default";
        var rp = spec.TaskTemplate.RestartPolicy ??= new RestartPolicyWire();
        rp.Condition ??= "any";
        rp.Delay ??= DefaultRestartDelay;
        rp.MaxAttempts ??= 0;
        spec.TaskTemplate.Runtime ??= "container";
        spec.UpdateConfig = UpdateDefaults(spec.UpdateConfig);
        spec.RollbackConfig = UpdateDefaults(spec.RollbackConfig);
        return spec;
    }

    private static UpdateConfigWire UpdateDefaults(UpdateConfigWire? u)
    {
        if (u is null)
        {
            return new UpdateConfigWire { Parallelism = 1, FailureAction = "pause", Monitor = DefaultMonitor, MaxFailureRatio = 0, Order = "stop-first" };
        }

        u.FailureAction = string.IsNullOrEmpty(u.FailureAction) ? "pause" : u.FailureAction;
        u.Monitor = u.Monitor == 0 ? DefaultMonitor : u.Monitor;
        u.Order = string.IsNullOrEmpty(u.Order) ? "stop-first" : u.Order;
        return u;
    }

    [GeneratedRegex("^[a-zA-Z0-9](?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$")]
    private static partial Regex NamePattern();
}
