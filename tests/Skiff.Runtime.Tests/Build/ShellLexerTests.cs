using Skiff.Runtime.Build;

namespace Skiff.Runtime.Tests.Build;

public sealed class ShellLexerTests
{
    private static readonly Dictionary<string, string> Vars = new()
    {
        ["A"] = "apple",
        ["E"] = "",
        ["S"] = "two words",
    };

    private static string? Lookup(string n) => Vars.TryGetValue(n, out var v) ? v : null;

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("$A", "apple")]
    [InlineData("${A}", "apple")]
    [InlineData("x${A}y", "xappley")]
    [InlineData("$A.txt", "apple.txt")]
    [InlineData("$UNSET", "")]
    [InlineData("${UNSET:-def}", "def")]
    [InlineData("${E:-def}", "def")]
    [InlineData("${E-def}", "")]
    [InlineData("${UNSET-def}", "def")]
    [InlineData("${A:-def}", "apple")]
    [InlineData("${A:+alt}", "alt")]
    [InlineData("${E:+alt}", "")]
    [InlineData("${E+alt}", "alt")]
    [InlineData("${UNSET:+alt}", "")]
    [InlineData("${UNSET:-$A}", "apple")]
    [InlineData("${UNSET:-'lit $A'}", "lit $A")]
    [InlineData("'$A'", "$A")]
    [InlineData("\"$A\"", "apple")]
    [InlineData("\"a b\"", "a b")]
    [InlineData("\\$A", "$A")]
    [InlineData("\"\\$A\"", "$A")]
    [InlineData("\"\\x\"", "\\x")]
    [InlineData("a\\ b", "a b")]
    [InlineData("$", "$")]
    [InlineData("a$", "a$")]
    [InlineData("$-", "")]
    [InlineData("a$$b", "ab")]
    [InlineData("$12x", "x")]
    [InlineData("$.", "$.")]
    [InlineData("$S", "two words")]
    [InlineData("$1", "")]
    public void ProcessWord_Table_ExpandsAsBuildKit(string word, string expected)
    {
        Assert.Equal(expected, new ShellLexer().ProcessWord(word, Lookup));
    }

    [Fact]
    public void ProcessWord_BacktickEscape_EscapesWithBacktick()
    {
        var lexer = new ShellLexer('`');
        Assert.Equal("$A", lexer.ProcessWord("`$A", Lookup));
        Assert.Equal("c:\\apple", lexer.ProcessWord("c:\\$A", Lookup));
    }

    [Theory]
    [InlineData("'open", "single-quote")]
    [InlineData("\"open", "double-quote")]
    [InlineData("${A", "missing '}'")]
    [InlineData("${A:=x}", "unsupported modifier (=)")]
    [InlineData("${}", "syntax error: bad substitution")]
    [InlineData("${:x}", "syntax error: bad substitution")]
    [InlineData("${", "syntax error: missing '}'")]
    [InlineData("${A:-x", "syntax error: missing '}'")]
    [InlineData("${A!x}", "missing ':' in substitution")]
    [InlineData("${UNSET:?}", "UNSET: is not allowed to be empty")]
    [InlineData("${UNSET?must be set}", "UNSET: must be set")]
    public void ProcessWord_Malformed_Throws(string word, string fragment)
    {
        var e = Assert.Throws<FormatException>(() => new ShellLexer().ProcessWord(word, Lookup));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }
}
