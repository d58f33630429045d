using Skiff.Cli.Commands;
using Skiff.Cli.Connection;

namespace Skiff.Cli.Tests.Commands;

/// <summary>docker's <c>--secret</c>/<c>--config</c> values (opts.SecretOpt): a bare name, or CSV fields.</summary>
public class SecretReferenceTests
{
    [Theory]
    [InlineData("db_pw", "db_pw", "db_pw", "0", "0", 292u)]
    [InlineData("source=db_pw,target=/etc/pw,uid=100,gid=101,mode=0400", "db_pw", "/etc/pw", "100", "101", 256u)]
    [InlineData("src=db_pw,mode=640", "db_pw", "db_pw", "0", "0", 416u)]
    public void ParseReference_NameOrCsv(string value, string source, string target, string uid, string gid, uint mode)
    {
        var (s, file) = SecretCommands.ParseReference("--secret", secret: true, value);

        Assert.Equal((source, target, uid, gid, mode), (s, file.Name, file.UID, file.GID, file.Mode));
    }

    [Theory]
    [InlineData("target=/x", "source is required")]
    [InlineData("source=a,mode=9", "invalid mode specified: 9")]
    [InlineData("source=a,colour=red", "invalid field in secret request: colour")]
    [InlineData("source=a,target", "invalid field 'target' must be a key=value pair")]
    public void ParseReference_BadValues_UsageError(string value, string message)
    {
        var e = Assert.Throws<CliException>(() => SecretCommands.ParseReference("--secret", secret: true, value));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(CliApp.UsageExitCode, e.ExitCode);
    }
}
