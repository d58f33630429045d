using System.CommandLine;
using System.CommandLine.Help;
using Skiff.Cli.Commands;
using Skiff.Cli.Connection;
using Skiff.Cli.Formatting;

namespace Skiff.Cli;

/// <summary>Builds the command tree, parses docker-style arguments, runs a command and maps failures to exit codes.</summary>
internal static class CliApp
{
    /// <summary>docker's exit status for its own errors in run/create and for flag errors.</summary>
    public const int UsageExitCode = 125;

    public static async Task<int> RunAsync(string[] args, CliContext ctx)
    {
        var app = Build(ctx);
        var prepared = app.PrepareArguments(args, out var unknownFlag, out var unknownIn);
        if (unknownFlag != null)
        {
            var path = CommandPath(unknownIn!);
            await ctx.Err.WriteLineAsync($"{path}: unknown flag: {unknownFlag}. See '{path} --help'.");
            return UsageExitCode;
        }
        var parse = app.Root.Parse(prepared);
        if (parse.Errors.Count > 0 && parse.Action is not DockerHelpAction)
        {
            var cmdPath = CommandPath(parse.CommandResult.Command);
            var unknown = parse.UnmatchedTokens.FirstOrDefault(t => t.StartsWith('-'));
            string message;
            if (unknown != null)
            {
                message = $"{cmdPath}: unknown flag: {unknown}.";
            }
            else
            {
                var first = parse.Errors[0].Message;
                message = first.StartsWith("Required argument missing", StringComparison.Ordinal)
                    ? $"\"{cmdPath}\" requires at least 1 argument."
                    : $"{cmdPath}: {first.TrimEnd('.')}.";
            }
            await ctx.Err.WriteLineAsync($"{message} See '{cmdPath} --help'.");
            return UsageExitCode;
        }
        ctx.HostFlag = parse.GetValue(app.Host);
        var tlsVerify = parse.GetValue(app.TlsVerify);
        if (tlsVerify || parse.GetValue(app.Tls) || parse.GetValue(app.TlsCaCert) != null || parse.GetValue(app.TlsCert) != null)
        {
            var certPath = ctx.GetEnv("SKIFF_CERT_PATH") ?? ctx.GetEnv("DOCKER_CERT_PATH");
            string? Default(string file) => certPath != null ? Path.Combine(certPath, file) : null;
            ctx.Tls = new TlsSettings(
                parse.GetValue(app.TlsCaCert) ?? Default("ca.pem"),
                parse.GetValue(app.TlsCert) ?? Default("cert.pem"),
                parse.GetValue(app.TlsKey) ?? Default("key.pem"),
                tlsVerify);
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = ctx.Out,
                Error = ctx.Err,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (ExitException e)
        {
            return e.ExitCode;
        }
        catch (CliException e)
        {
            if (e.Message.Length > 0)
            {
                await ctx.Err.WriteLineAsync(e.Message);
            }
            return e.ExitCode;
        }
        catch (TemplateException e)
        {
            await ctx.Err.WriteLineAsync("template parsing error: " + e.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

    internal static string CommandPath(Command command)
    {
        var names = new List<string>();
        Command? c = command;
        while (c != null)
        {
            names.Add(c is RootCommand ? "skiff" : c.Name);
            c = c.Parents.OfType<Command>().FirstOrDefault();
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    internal static App Build(CliContext ctx)
    {
        var app = new App(ctx);
        app.Register();
        return app;
    }

    /// <summary>The command tree plus the global options.</summary>
    internal sealed class App
    {
        private readonly CliContext _ctx;

        public App(CliContext ctx)
        {
            _ctx = ctx;
            Root = new RootCommand("A self-sufficient runtime for containers");
            foreach (var o in Root.Options.Where(o => o is HelpOption or VersionOption).ToList())
            {
                Root.Options.Remove(o);
            }
            Root.Options.Add(new HelpOption("--help", "-h") { Action = new DockerHelpAction(ctx.Out) });
            Root.Options.Add(Host);
            Root.Options.Add(Tls);
            Root.Options.Add(TlsCaCert);
            Root.Options.Add(TlsCert);
            Root.Options.Add(TlsKey);
            Root.Options.Add(TlsVerify);
            Root.Options.Add(Debug);
            Root.Options.Add(LogLevel);
            Root.Options.Add(Version);
            Root.SetAction(pr =>
            {
                if (pr.GetValue(Version))
                {
                    _ctx.Out.WriteLine($"Skiff version {CliInfo.Version}, build {CliInfo.GitCommit}");
                    return 0;
                }
                return new DockerHelpAction(_ctx.Out).Invoke(pr);
            });
        }

        public RootCommand Root { get; }

        /// <summary>Commands whose arguments after the first positional are passed through (docker's SetInterspersed(false)).</summary>
        public HashSet<Command> PassThrough { get; } = [];

        public Option<string?> Host { get; } = new("--host", "-H") { Description = "Daemon socket to connect to" };
        public Option<bool> Tls { get; } = new("--tls") { Description = "Use TLS; implied by --tlsverify" };
        public Option<string?> TlsCaCert { get; } = new("--tlscacert") { Description = "Trust certs signed only by this CA" };
        public Option<string?> TlsCert { get; } = new("--tlscert") { Description = "Path to TLS certificate file" };
        public Option<string?> TlsKey { get; } = new("--tlskey") { Description = "Path to TLS key file" };
        public Option<bool> TlsVerify { get; } = new("--tlsverify") { Description = "Use TLS and verify the remote" };
        public Option<bool> Debug { get; } = new("--debug", "-D") { Description = "Enable debug mode" };
        public Option<string?> LogLevel { get; } = new("--log-level", "-l") { Description = "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\") (default \"info\")" };
        public Option<bool> Version { get; } = new("--version", "-v") { Description = "Print version information and quit" };

        public void Register()
        {
            SystemCommands.Register(this, _ctx);
            ContainerCommands.Register(this, _ctx);
            ImageCommands.Register(this, _ctx);
            BuildCommands.Register(this, _ctx);
            NetworkCommands.Register(this, _ctx);
            VolumeCommands.Register(this, _ctx);
            SwarmCommands.Register(this, _ctx);
            NodeCommands.Register(this, _ctx);
            ServiceCommands.Register(this, _ctx);
            ComposeCommands.Register(this, _ctx);
            StackCommands.Register(this, _ctx);
            SecretCommands.Register(this, _ctx);
        }

        /// <summary>
        /// docker stops flag parsing after the image/container of run, create, exec and top: inserts "--"
        /// after that positional so the rest (e.g. <c>sh -c "..."</c>) is the command.
        /// </summary>
        public string[] PrepareArguments(string[] args, out string? unknownFlag, out Command? unknownIn)
        {
            unknownFlag = null;
            unknownIn = null;
            var list = new List<string>(args);
            var i = 0;
            var positionalSeen = false;
            Command current = Root;
            while (i < list.Count)
            {
                var t = list[i];
                if (t == "--")
                {
                    return args;
                }
                if (t.StartsWith('-') && t.Length > 1)
                {
                    if (!IsKnown(current, t))
                    {
                        unknownFlag = t.Contains('=', StringComparison.Ordinal) ? t[..t.IndexOf('=', StringComparison.Ordinal)] : t;
                        unknownIn = current;
                        return args;
                    }
                    i += TakesValue(current, t) ? 2 : 1;
                    continue;
                }
                var sub = positionalSeen ? null : current.Subcommands.FirstOrDefault(c => c.Name == t || c.Aliases.Contains(t));
                if (sub != null && current.Arguments.Count == 0)
                {
                    current = sub;
                    i++;
                    continue;
                }
                // First positional of the current command: the rest is the container's command for
                // run/create/exec/top; otherwise keep checking the remaining flags.
                if (PassThrough.Contains(current))
                {
                    if (i + 1 < list.Count)
                    {
                        list.Insert(i + 1, "--");
                        return list.ToArray();
                    }
                    return args;
                }
                positionalSeen = true;
                i++;
            }
            return args;
        }

        /// <summary>An option of the command (or its ancestors), "--name=value", or a bundle of short flags.</summary>
        private static bool IsKnown(Command command, string token)
        {
            if (token.StartsWith("--", StringComparison.Ordinal))
            {
                var eq = token.IndexOf('=', StringComparison.Ordinal);
                return FindOption(command, eq < 0 ? token : token[..eq]) != null;
            }
            if (FindOption(command, token) != null)
            {
                return true;
            }
            for (var k = 1; k < token.Length; k++)
            {
                var o = FindOption(command, "-" + token[k]);
                if (o == null)
                {
                    return false;
                }
                if (IsValued(o))
                {
                    return true;
                }
            }
            return true;
        }

        private static bool TakesValue(Command command, string token)
        {
            if (token.StartsWith("--", StringComparison.Ordinal))
            {
                if (token.Contains('=', StringComparison.Ordinal))
                {
                    return false;
                }
                var opt = FindOption(command, token);
                return opt != null && IsValued(opt);
            }
            // Short option or bundle: "-p", "-it", "-dp" (last takes the value), "-p8080:80" (value attached).
            var exact = FindOption(command, token);
            if (exact != null)
            {
                return IsValued(exact);
            }
            for (var k = 1; k < token.Length; k++)
            {
                var o = FindOption(command, "-" + token[k]);
                if (o == null)
                {
                    return false;
                }
                if (IsValued(o))
                {
                    return k == token.Length - 1;
                }
            }
            return false;
        }

        private static Option? FindOption(Command command, string name)
        {
            Command? c = command;
            while (c != null)
            {
                var o = c.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));
                if (o != null)
                {
                    return o;
                }
                c = c.Parents.OfType<Command>().FirstOrDefault();
            }
            return null;
        }

        private static bool IsValued(Option o) => o.ValueType != typeof(bool) && o.Arity.MaximumNumberOfValues > 0;

        /// <summary>Adds a command at the top level (docker's shortcut) or under a group.</summary>
        public static void Add(Command parent, Command child) => parent.Subcommands.Add(child);
    }
}
