using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text;

namespace Skiff.Cli.Formatting;

/// <summary>Help in docker's (cobra's) layout: Usage, description, Commands, Options with type names.</summary>
internal sealed class DockerHelpAction(TextWriter output) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        output.Write(Render(parseResult.CommandResult.Command));
        return 0;
    }

    public static string Render(Command command)
    {
        var path = CliApp.CommandPath(command);
        var sb = new StringBuilder();
        var visibleSubs = command.Subcommands.Where(c => !c.Hidden).ToList();
        var options = command.Options.Where(o => !o.Hidden && o is not HelpOption).OrderBy(o => o.Name, StringComparer.Ordinal).ToList();
        if (visibleSubs.Count > 0 && command.Arguments.Count == 0)
        {
            sb.Append("Usage:  ").Append(path).Append(command is RootCommand ? " [OPTIONS] COMMAND" : " COMMAND").Append("\n\n");
        }
        else
        {
            sb.Append("Usage:  ").Append(path);
            if (options.Count > 0)
            {
                sb.Append(" [OPTIONS]");
            }
            foreach (var a in command.Arguments.Where(a => !a.Hidden))
            {
                sb.Append(' ').Append(ArgumentUsage(a));
            }
            sb.Append("\n\n");
        }
        sb.Append(command.Description).Append("\n\n");
        if (command.Aliases.Count > 0)
        {
            var parent = command.Parents.OfType<Command>().FirstOrDefault();
            var prefix = parent == null ? "skiff" : CliApp.CommandPath(parent);
            sb.Append("Aliases:\n  ").Append(string.Join(", ", new[] { command.Name }.Concat(command.Aliases).Select(a => prefix + " " + a))).Append("\n\n");
        }
        if (visibleSubs.Count > 0)
        {
            sb.Append(command is RootCommand ? "Commands:\n" : "Commands:\n");
            var pad = Math.Max(11, visibleSubs.Max(c => c.Name.Length));
            foreach (var c in visibleSubs.OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                sb.Append("  ").Append(c.Name.PadRight(pad)).Append(' ').Append(c.Description).Append('\n');
            }
            sb.Append('\n');
        }
        if (options.Count > 0)
        {
            sb.Append(command is RootCommand ? "Global Options:\n" : "Options:\n");
            var names = options.Select(o => (Option: o, Name: OptionUsage(o))).ToList();
            var max = names.Max(n => n.Name.Length) + 1;
            foreach (var (o, name) in names)
            {
                var desc = (o.Description ?? "").Replace("\n", "\n" + new string(' ', max + 2), StringComparison.Ordinal);
                sb.Append(name).Append(' ').Append(new string(' ', max - name.Length)).Append(' ').Append(desc).Append('\n');
            }
            sb.Append('\n');
        }
        if (visibleSubs.Count > 0)
        {
            sb.Append("Run '").Append(path).Append(" COMMAND --help' for more information on a command.\n");
        }
        return sb.ToString();
    }

    private static string ArgumentUsage(Argument a)
    {
        var name = a.Name;
        return (a.Arity.MinimumNumberOfValues, a.Arity.MaximumNumberOfValues) switch
        {
            (0, 1) => $"[{name}]",
            (0, _) => $"[{name}...]",
            (1, 1) => name,
            _ => $"{name} [{name}...]",
        };
    }

    private static string OptionUsage(Option o)
    {
        var shortAlias = o.Aliases.FirstOrDefault(a => a.Length == 2 && a[0] == '-' && a[1] != '-');
        var type = o.Name switch
        {
            "--filter" => " filter",
            "--memory" => " bytes",
            "--cpus" => " decimal",
            "--health-interval" or "--health-timeout" or "--health-start-period" => " duration",
            "--update-delay" or "--update-monitor" or "--rollback-delay" or "--rollback-monitor" or "--restart-delay" or "--restart-window"
                or "--stop-grace-period" or "--dispatcher-heartbeat" or "--cert-expiry" => " duration",
            "--replicas" or "--replicas-max-per-node" or "--max-concurrent" or "--restart-max-attempts" or "--update-parallelism"
                or "--rollback-parallelism" => " uint",
            "--default-addr-pool-mask-length" => " uint32",
            "--limit-cpu" or "--reserve-cpu" => " decimal",
            "--limit-memory" or "--reserve-memory" => " bytes",
            "--limit-pids" or "--health-retries" or "--task-history-limit" => " int",
            "--update-max-failure-ratio" or "--rollback-max-failure-ratio" => " float",
            "--publish" or "--publish-add" or "--publish-rm" => " port",
            "--placement-pref" or "--placement-pref-add" or "--placement-pref-rm" => " pref",
            "--entrypoint" or "--args" => " command",
            "--listen-addr" => " node-addr",
            "--default-addr-pool" => " ipNetSlice",
            "--network" or "--network-add" => " network",
            "--mount" or "--mount-add" => " mount",
            "--opt" or "--ipam-opt" => " map",
            "--gateway" or "--ip-range" or "--subnet" or "--alias" => " strings",
            _ => null,
        };
        type ??= o.ValueType == typeof(bool) ? ""
            : o.ValueType == typeof(string[]) ? " list"
            : o.ValueType == typeof(int?) || o.ValueType == typeof(int) || o.ValueType == typeof(long?) || o.ValueType == typeof(long) ? " int"
            : " string";
        return (shortAlias != null ? "  " + shortAlias + ", " : "      ") + o.Name + type;
    }
}
