using Skiff.Cli.Formatting;

namespace Skiff.Cli.Tests.Formatting;

public class TabWriterTests
{
    [Fact]
    public void Format_DockerTable_PadsColumnsToWidestCellPlusThree()
    {
        var text = "CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox:latest\tweb\n";
        var expected =
            "CONTAINER ID   IMAGE            NAMES\n" +
            "abc            busybox:latest   web\n";
        Assert.Equal(expected, TabWriter.Format(text));
    }

    [Fact]
    public void Format_ShortCells_UseMinimumWidthTen()
    {
        Assert.Equal("A         B\nx         y\n", TabWriter.Format("A\tB\nx\ty\n"));
    }

    [Fact]
    public void Format_LastCellEmpty_NoTrailingPadding()
    {
        Assert.Equal("NAME      PORTS\nweb       \n", TabWriter.Format("NAME\tPORTS\nweb\t\n"));
    }

    [Fact]
    public void Format_VersionLayout_MinWidth20Padding1()
    {
        var text = "Client:\n Version:\t1.0\n API version:\t1.41\n";
        var expected = "Client:\n Version:           1.0\n API version:       1.41\n";
        Assert.Equal(expected, TabWriter.Format(text, 20, 1));
    }
}
