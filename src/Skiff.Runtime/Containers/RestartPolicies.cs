using Skiff.Api;

namespace Skiff.Runtime.Containers;

/// <summary>Docker's restart policies and its back-off: 100 ms doubling to 1 min, reset after 10 s of running.</summary>
public static class RestartPolicies
{
    public static readonly TimeSpan InitialDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan ResetAfter = TimeSpan.FromSeconds(10);

    public static void Validate(RestartPolicy? p, bool autoRemove)
    {
        var name = p?.Name ?? "";
        switch (name)
        {
            case "" or "no":
                if (p is { MaximumRetryCount: > 0 })
                {
                    throw new BadRequestException("invalid restart policy: maximum retry count can only be used with 'on-failure'");
                }

                return;
            case "always" or "unless-stopped":
                if (p!.MaximumRetryCount > 0)
                {
                    throw new BadRequestException("invalid restart policy: maximum retry count can only be used with 'on-failure'");
                }

                break;
            case "on-failure":
                if (p!.MaximumRetryCount < 0)
                {
                    throw new BadRequestException("invalid restart policy: maximum retry count cannot be negative");
                }

                break;
            default:
                throw new BadRequestException($"invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
        }

        if (autoRemove)
        {
            throw new BadRequestException("can't create 'AutoRemove' container with restart policy");
        }
    }

    /// <summary>Should a container that just exited be started again?</summary>
    public static bool ShouldRestart(RestartPolicy? p, int exitCode, int restartCount, bool manuallyStopped)
    {
        if (manuallyStopped)
        {
            return false;
        }

        return (p?.Name ?? "") switch
        {
            "always" or "unless-stopped" => true,
            "on-failure" => exitCode != 0 && (p!.MaximumRetryCount == 0 || restartCount < p.MaximumRetryCount),
            _ => false,
        };
    }

    /// <summary>The delay before the next restart, given the previous delay and how long the container ran.</summary>
    public static TimeSpan NextDelay(TimeSpan previous, TimeSpan ranFor)
    {
        if (ranFor >= ResetAfter || previous == TimeSpan.Zero)
        {
            return InitialDelay;
        }

        var next = previous * 2;
        return next > MaxDelay ? MaxDelay : next;
    }
}
