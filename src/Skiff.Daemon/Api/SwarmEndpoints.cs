using Skiff.Api;

namespace Skiff.Daemon.Api;

/// <summary>
/// Swarm-mode routes while this engine is not in a swarm: Docker's 503 answers, word for word, so that the
/// docker CLI prints what users know. Swarm mode itself is built on Skiff.State (issue 3).
/// </summary>
internal static class SwarmEndpoints
{
    public const string NotManager = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";
    public const string NotInSwarm = "This node is not part of a swarm";

    public static void Map(WebApplication app)
    {
        app.MapGet("/swarm", () => Fail(NotManager));
        app.MapGet("/swarm/unlockkey", () => Fail(NotManager));
        app.MapPost("/swarm/leave", () => Fail(NotInSwarm));
        app.MapPost("/swarm/update", () => Fail(NotManager));
        app.MapPost("/swarm/unlock", () => Fail(NotManager));
        app.MapPost("/swarm/init", () => Fail("swarm mode is not available in this build of skiffd yet"));
        app.MapPost("/swarm/join", () => Fail("swarm mode is not available in this build of skiffd yet"));
        foreach (var resource in new[] { "nodes", "services", "tasks", "secrets", "configs" })
        {
            app.MapGet("/" + resource, () => Fail(NotManager));
            app.MapGet("/" + resource + "/{**rest}", () => Fail(NotManager));
            app.MapPost("/" + resource + "/{**rest}", () => Fail(NotManager));
            app.MapDelete("/" + resource + "/{**rest}", () => Fail(NotManager));
        }
    }

    private static IResult Fail(string message) => throw new SkiffException(503, message);
}
