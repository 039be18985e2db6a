using DistGmm.Reporting.Svg;

namespace DistGmm.Reporting.Charts;

/// <summary>
/// missingno-style matrix: one dark column per feature, with a light gap for every run of missing values
/// in the sampled rows. Above it, the share of non-missing values per column over all rows.
/// </summary>
public static class MissingMatrixChart
{
    public static string Render(string id, MissingValues data, IReadOnlyList<bool[]> sampleRows)
    {
        var cols = data.Columns.Count;
        const double left = 56, right = 12, top = 128, matrixHeight = 240;
        var width = Math.Max(1080, left + right + cols * 14);
        var height = top + matrixHeight + 30;
        // Columns no wider than 60 px so a handful of features does not turn into slabs.
        var band = new BandScale(cols, left, Math.Min(width - right, left + cols * 60), 0.12);
        var svg = new SvgBuilder(width, height, id, "Missing values per column");
        svg.OpenGroup("columns");
        for (var c = 0; c < cols; c++)
        {
            var cx = band.Center(c);
            var complete = data.TotalRows == 0 ? 1 : 1 - (double)data.MissingPerColumn[c] / data.TotalRows;
            svg.Text(cx + 3, top - 34, data.Columns[c], "col-label", "start", -55);
            // Completeness bar, 24 px tall for 100%.
            svg.Rect(band.Start(c), top - 28, band.Bandwidth, 24, "complete-bg");
            svg.Rect(band.Start(c), top - 4 - 24 * complete, band.Bandwidth, 24 * complete, "complete-bar",
                $"{data.Columns[c]}: {Fmt.Count(data.MissingPerColumn[c])} missing of {Fmt.Count(data.TotalRows)} ({Fmt.Percent(1 - complete, 2)})");
            svg.Rect(band.Start(c), top, band.Bandwidth, matrixHeight, "present col",
                $"{data.Columns[c]}: {Fmt.Percent(complete, 2)} present");
        }

        svg.CloseGroup();
        svg.OpenGroup("missing");
        var rows = sampleRows.Count;
        var rowHeight = rows == 0 ? 0 : matrixHeight / rows;
        for (var c = 0; c < cols; c++)
        {
            // Merge consecutive missing rows into one rectangle to keep the SVG small.
            var r = 0;
            while (r < rows)
            {
                if (!sampleRows[r][c])
                {
                    r++;
                    continue;
                }

                var start = r;
                while (r < rows && sampleRows[r][c]) r++;
                svg.Rect(band.Start(c), top + start * rowHeight, band.Bandwidth, Math.Max(1, (r - start) * rowHeight), "gap");
            }
        }

        svg.CloseGroup();
        svg.Text(left - 6, top + 10, "row 1", "tick", "end");
        svg.Text(left - 6, top + matrixHeight, Fmt.Count(Math.Max(rows, 1)), "tick", "end");
        svg.Text(left, height - 8, $"{Fmt.Count(rows)} sampled rows of {Fmt.Count(data.TotalRows)}; light gaps are missing values",
            "caption-text");
        return svg.ToString();
    }
}
