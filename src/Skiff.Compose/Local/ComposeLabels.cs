namespace Skiff.Compose.Local;

/// <summary>
/// The labels and names <c>docker compose</c> v2 puts on what it creates, so that Skiff and Docker's compose
/// recognise each other's projects (a project started by one can be listed, stopped or removed by the other).
/// </summary>
public static class ComposeLabels
{
    public const string Project = "com.docker.compose.project";
    public const string Service = "com.docker.compose.service";
    public const string ContainerNumber = "com.docker.compose.container-number";
    public const string OneOff = "com.docker.compose.oneoff";
    public const string ConfigHash = "com.docker.compose.config-hash";
    public const string WorkingDir = "com.docker.compose.project.working_dir";
    public const string ConfigFiles = "com.docker.compose.project.config_files";
    public const string Version = "com.docker.compose.version";
    public const string Image = "com.docker.compose.image";
    public const string DependsOn = "com.docker.compose.depends_on";
    public const string Network = "com.docker.compose.network";
    public const string Volume = "com.docker.compose.volume";

    /// <summary>What Skiff writes into <see cref="Version"/> (compose writes its own version).</summary>
    public const string SkiffComposeVersion = "skiff-0.1.0";

    /// <summary><c>&lt;project&gt;-&lt;service&gt;-&lt;n&gt;</c>, compose v2's separator.</summary>
    public static string ContainerName(string project, string service, int number) => $"{project}-{service}-{number}";

    /// <summary>The image compose gives a service that has <c>build</c> but no <c>image</c>: <c>&lt;project&gt;-&lt;service&gt;</c>.</summary>
    public static string DefaultImageName(string project, string service) => $"{project}-{service}";
}
