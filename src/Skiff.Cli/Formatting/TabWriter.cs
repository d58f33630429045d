using System.Text;

namespace Skiff.Cli.Formatting;

/// <summary>
/// A port of Go's text/tabwriter (left-aligned, space padding, no flags), enough for docker's tables
/// (<c>tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)</c>) and its version/info layouts.
/// Cells are tab-terminated; a line's last cell does not take part in column alignment.
/// </summary>
internal static class TabWriter
{
    public static string Format(string text, int minWidth = 10, int padding = 3)
    {
        var rawLines = text.Split('\n');
        var count = rawLines.Length;
        if (text.EndsWith('\n'))
        {
            count--;
        }
        var lines = new List<string[]>(count);
        for (var i = 0; i < count; i++)
        {
            lines.Add(rawLines[i].Split('\t'));
        }
        var sb = new StringBuilder();
        var widths = new List<int>();
        FormatBlock(lines, widths, sb, 0, lines.Count, minWidth, padding);
        return sb.ToString();
    }

    private static void FormatBlock(List<string[]> lines, List<int> widths, StringBuilder sb, int line0, int line1, int minWidth, int padding)
    {
        var column = widths.Count;
        for (var current = line0; current < line1; current++)
        {
            if (column >= lines[current].Length - 1)
            {
                continue;
            }
            WriteLines(lines, widths, sb, line0, current);
            line0 = current;
            var width = minWidth;
            for (; current < line1; current++)
            {
                var line = lines[current];
                if (column >= line.Length - 1)
                {
                    break;
                }
                var w = CellWidth(line[column]) + padding;
                if (w > width)
                {
                    width = w;
                }
            }
            widths.Add(width);
            FormatBlock(lines, widths, sb, line0, current, minWidth, padding);
            widths.RemoveAt(widths.Count - 1);
            line0 = current;
            current--;
        }
        WriteLines(lines, widths, sb, line0, line1);
    }

    private static void WriteLines(List<string[]> lines, List<int> widths, StringBuilder sb, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var line = lines[i];
            for (var j = 0; j < line.Length; j++)
            {
                var cell = line[j];
                sb.Append(cell);
                if (j < widths.Count && j < line.Length - 1)
                {
                    sb.Append(' ', Math.Max(0, widths[j] - CellWidth(cell)));
                }
            }
            sb.Append('\n');
        }
    }

    private static int CellWidth(string cell)
    {
        var n = 0;
        var e = System.Globalization.StringInfo.GetTextElementEnumerator(cell);
        while (e.MoveNext())
        {
            n++;
        }
        return n;
    }
}
