namespace Skiff.Runtime.Build;

/// <summary>
/// A Dockerfile that cannot be parsed or planned. The message is a single line in the form
/// <c>Dockerfile:3: unknown instruction: FORM</c> (file name, 1-based line, BuildKit's wording).
/// </summary>
public sealed class DockerfileException : Exception
{
    public DockerfileException()
    {
    }

    public DockerfileException(string message)
        : base(message)
    {
    }

    public DockerfileException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DockerfileException(string fileName, int line, string detail)
        : base($"{fileName}:{line}: {OneLine(detail)}")
    {
        FileName = fileName;
        Line = line;
        Detail = OneLine(detail);
    }

    public string? FileName { get; }

    public int Line { get; }

    public string? Detail { get; }

    private static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ');
}
