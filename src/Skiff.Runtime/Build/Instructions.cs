namespace Skiff.Runtime.Build;

/// <summary>A parsed Dockerfile: instructions in order (meta ARGs before the first FROM included).</summary>
public sealed record Dockerfile(
    string FileName,
    char EscapeToken,
    IReadOnlyList<Instruction> Instructions,
    IReadOnlyList<string> Notes);

/// <summary>RUN/CMD/ENTRYPOINT/HEALTHCHECK CMD argument: exec (JSON) form, or shell form (one element, the raw text).</summary>
public sealed record CommandForm(bool IsExec, IReadOnlyList<string> Args)
{
    /// <summary>The argv for a given SHELL: exec form as is, shell form appended to the shell.</summary>
    public IReadOnlyList<string> ToArgv(IReadOnlyList<string> shell) => IsExec ? Args : [.. shell, Args[0]];
}

/// <summary>One instruction. <see cref="Line"/> is the 1-based line it starts on; <see cref="Original"/> its joined text.
/// Words are kept unexpanded (quotes included): expansion happens in <see cref="BuildPlan"/>.</summary>
public abstract record Instruction(int Line, string Original)
{
    public abstract string Keyword { get; }
}

public sealed record FromInstruction(int Line, string Original, string Image, string? StageName) : Instruction(Line, Original)
{
    public override string Keyword => "FROM";
}

public sealed record RunInstruction(int Line, string Original, CommandForm Command) : Instruction(Line, Original)
{
    public override string Keyword => "RUN";
}

public sealed record CmdInstruction(int Line, string Original, CommandForm Command) : Instruction(Line, Original)
{
    public override string Keyword => "CMD";
}

public sealed record EntrypointInstruction(int Line, string Original, CommandForm Command) : Instruction(Line, Original)
{
    public override string Keyword => "ENTRYPOINT";
}

public sealed record ShellInstruction(int Line, string Original, IReadOnlyList<string> Shell) : Instruction(Line, Original)
{
    public override string Keyword => "SHELL";
}

/// <summary>COPY or ADD (<see cref="IsAdd"/>). <see cref="From"/> only for COPY.</summary>
public sealed record CopyInstruction(
    int Line,
    string Original,
    bool IsAdd,
    IReadOnlyList<string> Sources,
    string Destination,
    string? Chown,
    string? Chmod,
    string? From) : Instruction(Line, Original)
{
    public override string Keyword => IsAdd ? "ADD" : "COPY";
}

public sealed record EnvInstruction(int Line, string Original, IReadOnlyList<KeyValuePair<string, string>> Pairs) : Instruction(Line, Original)
{
    public override string Keyword => "ENV";
}

public sealed record LabelInstruction(int Line, string Original, IReadOnlyList<KeyValuePair<string, string>> Pairs) : Instruction(Line, Original)
{
    public override string Keyword => "LABEL";
}

public sealed record ArgDeclaration(string Name, string? Default);

public sealed record ArgInstruction(int Line, string Original, IReadOnlyList<ArgDeclaration> Args) : Instruction(Line, Original)
{
    public override string Keyword => "ARG";
}

public sealed record WorkdirInstruction(int Line, string Original, string Path) : Instruction(Line, Original)
{
    public override string Keyword => "WORKDIR";
}

public sealed record UserInstruction(int Line, string Original, string User) : Instruction(Line, Original)
{
    public override string Keyword => "USER";
}

public sealed record ExposeInstruction(int Line, string Original, IReadOnlyList<string> Ports) : Instruction(Line, Original)
{
    public override string Keyword => "EXPOSE";
}

public sealed record VolumeInstruction(int Line, string Original, IReadOnlyList<string> Paths) : Instruction(Line, Original)
{
    public override string Keyword => "VOLUME";
}

public sealed record StopSignalInstruction(int Line, string Original, string Signal) : Instruction(Line, Original)
{
    public override string Keyword => "STOPSIGNAL";
}

/// <summary>Deprecated but honoured as Docker does: sets the image's <c>author</c>.</summary>
public sealed record MaintainerInstruction(int Line, string Original, string Maintainer) : Instruction(Line, Original)
{
    public override string Keyword => "MAINTAINER";
}

/// <summary>HEALTHCHECK NONE (<see cref="Command"/> null) or HEALTHCHECK [options] CMD ...; durations in nanoseconds (0 = inherit default).</summary>
public sealed record HealthcheckInstruction(
    int Line,
    string Original,
    CommandForm? Command,
    long Interval,
    long Timeout,
    long StartPeriod,
    long StartInterval,
    int Retries) : Instruction(Line, Original)
{
    public override string Keyword => "HEALTHCHECK";
}
