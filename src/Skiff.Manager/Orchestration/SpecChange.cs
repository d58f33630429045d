namespace Skiff.Manager.Orchestration;

/// <summary>
/// Which service spec changes replace tasks: swarmkit's <c>IsTaskDirty</c>
/// (<c>manager/orchestrator/task.go</c>). A task is dirty when its TaskTemplate differs from the
/// service's (container spec, resources, restart policy, placement, networks, ForceUpdate) or
/// when the endpoint spec differs (tasks carry a copy of it). Replicas, service labels, name,
/// update and rollback config never replace tasks. A change of placement alone does not replace
/// a task whose node still satisfies the new placement
/// (<c>IsTaskDirtyPlacementConstraintsOnly</c>).
/// </summary>
public static class SpecChange
{
    /// <param name="oldSpec">The spec the task was created from.</param>
    /// <param name="newSpec">The service's current spec.</param>
    /// <param name="taskNodeSatisfiesNewPlacement">
    /// Whether the task's node satisfies <paramref name="newSpec"/>'s placement; false when the
    /// task has no node yet or the caller does not know.
    /// </param>
    public static bool RequiresNewTasks(ServiceSpecLite oldSpec, ServiceSpecLite newSpec, bool taskNodeSatisfiesNewPlacement = false)
    {
        ArgumentNullException.ThrowIfNull(oldSpec);
        ArgumentNullException.ThrowIfNull(newSpec);

        if (!SameTaskTemplateExceptPlacement(oldSpec, newSpec) || !SameEndpoint(oldSpec.EndpointSpec, newSpec.EndpointSpec))
        {
            return true;
        }

        return !SamePlacement(oldSpec.Placement, newSpec.Placement) && !taskNodeSatisfiesNewPlacement;
    }

    /// <summary>Names the fields that differ in a way that replaces tasks (for logs and messages).</summary>
    public static IReadOnlyList<string> DirtyFields(ServiceSpecLite oldSpec, ServiceSpecLite newSpec)
    {
        ArgumentNullException.ThrowIfNull(oldSpec);
        ArgumentNullException.ThrowIfNull(newSpec);
        var fields = new List<string>();
        void Check(bool same, string name)
        {
            if (!same)
            {
                fields.Add(name);
            }
        }

        Check(oldSpec.ContainerImage == newSpec.ContainerImage, nameof(ServiceSpecLite.ContainerImage));
        Check(oldSpec.Command.SequenceEqual(newSpec.Command), nameof(ServiceSpecLite.Command));
        Check(oldSpec.Args.SequenceEqual(newSpec.Args), nameof(ServiceSpecLite.Args));
        Check(oldSpec.Env.SequenceEqual(newSpec.Env), nameof(ServiceSpecLite.Env));
        Check(oldSpec.Mounts.SequenceEqual(newSpec.Mounts), nameof(ServiceSpecLite.Mounts));
        Check(oldSpec.User == newSpec.User, nameof(ServiceSpecLite.User));
        Check(oldSpec.WorkingDir == newSpec.WorkingDir, nameof(ServiceSpecLite.WorkingDir));
        Check(oldSpec.Hostname == newSpec.Hostname, nameof(ServiceSpecLite.Hostname));
        Check(oldSpec.ContainerLabels.SequenceEqual(newSpec.ContainerLabels), nameof(ServiceSpecLite.ContainerLabels));
        Check(oldSpec.Limits == newSpec.Limits, nameof(ServiceSpecLite.Limits));
        Check(oldSpec.Reservations == newSpec.Reservations, nameof(ServiceSpecLite.Reservations));
        Check(oldSpec.RestartPolicy == newSpec.RestartPolicy, nameof(ServiceSpecLite.RestartPolicy));
        Check(SamePlacement(oldSpec.Placement, newSpec.Placement), nameof(ServiceSpecLite.Placement));
        Check(oldSpec.ForceUpdate == newSpec.ForceUpdate, nameof(ServiceSpecLite.ForceUpdate));
        Check(oldSpec.Networks.SequenceEqual(newSpec.Networks), nameof(ServiceSpecLite.Networks));
        Check(SameEndpoint(oldSpec.EndpointSpec, newSpec.EndpointSpec), nameof(ServiceSpecLite.EndpointSpec));
        return fields;
    }

    private static bool SameTaskTemplateExceptPlacement(ServiceSpecLite a, ServiceSpecLite b) =>
        a.ContainerImage == b.ContainerImage &&
        a.Command.SequenceEqual(b.Command) &&
        a.Args.SequenceEqual(b.Args) &&
        a.Env.SequenceEqual(b.Env) &&
        a.Mounts.SequenceEqual(b.Mounts) &&
        a.User == b.User &&
        a.WorkingDir == b.WorkingDir &&
        a.Hostname == b.Hostname &&
        a.ContainerLabels.SequenceEqual(b.ContainerLabels) &&
        a.Limits == b.Limits &&
        a.Reservations == b.Reservations &&
        a.RestartPolicy == b.RestartPolicy &&
        a.ForceUpdate == b.ForceUpdate &&
        a.Networks.SequenceEqual(b.Networks);

    private static bool SamePlacement(PlacementLite a, PlacementLite b) =>
        a.Constraints.SequenceEqual(b.Constraints) &&
        a.Preferences.SequenceEqual(b.Preferences) &&
        a.MaxReplicas == b.MaxReplicas;

    private static bool SameEndpoint(EndpointSpecLite a, EndpointSpecLite b) =>
        a.Mode == b.Mode && a.Ports.SequenceEqual(b.Ports);
}
