using Skiff.Manager.Scheduling;
using Skiff.State;
using static Skiff.Manager.Tests.Scheduling.SchedulingFixtures;

namespace Skiff.Manager.Tests.Scheduling;

public class ConstraintTests
{
    [Theory]
    [InlineData("node.labels.type==db", "node.labels.type", ConstraintOperator.Equal, "db")]
    [InlineData(" node.role != manager ", "node.role", ConstraintOperator.NotEqual, "manager")]
    [InlineData("engine.labels.operatingsystem==ubuntu 22.04", "engine.labels.operatingsystem", ConstraintOperator.Equal, "ubuntu 22.04")]
    [InlineData("node.platform.arch==x86_64", "node.platform.arch", ConstraintOperator.Equal, "x86_64")]
    [InlineData("NODE.HOSTNAME==node-1", "NODE.HOSTNAME", ConstraintOperator.Equal, "node-1")]
    [InlineData("node.id==2ivku8v2gvtg4", "node.id", ConstraintOperator.Equal, "2ivku8v2gvtg4")]
    public void Parse_ValidExpression_ReturnsParts(string expression, string key, ConstraintOperator op, string value)
    {
        var c = Constraint.Parse(expression);

        Assert.Equal(new Constraint(key, op, value), c);
    }

    [Theory]
    [InlineData("foo", "constraint expected one operator from ==, !=")]
    [InlineData("node.role=manager", "constraint expected one operator from ==, !=")]
    [InlineData("==manager", "key '' is invalid")]
    [InlineData("node role==manager", "key 'node role' is invalid")]
    [InlineData("a!==b", "key 'a!' is invalid")]
    [InlineData("node.role==", "value '' is invalid")]
    [InlineData("node.labels.a==b==c", "value 'b==c' is invalid")]
    [InlineData("node.labels.a==x<y", "value 'x<y' is invalid")]
    [InlineData("node.foo==x", "constraint expression 'node.foo==x' is invalid: unknown key 'node.foo'")]
    [InlineData("node.labels.==x", "constraint expression 'node.labels.==x' is invalid: unknown key 'node.labels.'")]
    public void Parse_InvalidExpression_ThrowsWithDockerMessage(string expression, string message)
    {
        var ex = Assert.Throws<FormatException>(() => Constraint.Parse(expression));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("node.labels.type==db", true)]
    [InlineData("node.labels.type==DB", true)] // values compare case-insensitively
    [InlineData("node.labels.type!=db", false)]
    [InlineData("node.labels.Type==db", false)] // label names are case-sensitive
    [InlineData("NODE.LABELS.type==db", true)] // the prefix is not
    [InlineData("node.labels.missing==x", false)] // missing label: == fails
    [InlineData("node.labels.missing!=x", true)] // missing label: != succeeds
    [InlineData("engine.labels.os==linux", true)]
    [InlineData("engine.labels.os!=linux", false)]
    [InlineData("node.role==manager", true)]
    [InlineData("node.role==MANAGER", true)]
    [InlineData("node.role==worker", false)]
    [InlineData("node.hostname==host-n1", true)]
    [InlineData("node.hostname!=host-n1", false)]
    [InlineData("node.id==n1", true)]
    [InlineData("node.platform.os==linux", true)]
    [InlineData("node.platform.arch==arm64", true)]
    [InlineData("node.platform.arch!=amd64", true)]
    public void Matches_Table_AsSwarmkit(string expression, bool expected)
    {
        var node = Node("n1", ("type", "db")) with
        {
            Role = NodeRole.Manager,
            EngineLabels = new Dictionary<string, string> { ["os"] = "linux" },
            Platform = new Platform("linux", "arm64"),
        };

        Assert.Equal(expected, Constraint.Parse(expression).Matches(node));
    }

    [Fact]
    public void ParseAll_SeveralExpressions_AreAnded()
    {
        var cs = Constraint.ParseAll(["node.role==worker", "node.labels.type==db"]);
        var both = Node("a", ("type", "db"));
        var one = Node("b", ("type", "web"));

        Assert.True(Constraint.MatchesAll(cs, both));
        Assert.False(Constraint.MatchesAll(cs, one));
    }
}
