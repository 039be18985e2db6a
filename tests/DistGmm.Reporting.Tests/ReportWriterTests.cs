using System.Text.RegularExpressions;
using DistGmm.Reporting.Tests.Svg;
using Xunit;

namespace DistGmm.Reporting.Tests;

public class ReportWriterTests
{
    private static readonly ReportData Data = SyntheticReport.Create(records: 5_000);

    [Fact]
    public void Output_is_deterministic()
    {
        Assert.Equal(ReportWriter.Render(Data), ReportWriter.Render(SyntheticReport.Create(records: 5_000)));
    }

    [Fact]
    public void Report_is_self_contained()
    {
        var html = ReportWriter.Render(Data);
        Assert.DoesNotMatch(new Regex("(src|href)=\"(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", html);
    }

    [Fact]
    public void User_text_is_escaped_everywhere()
    {
        var html = ReportWriter.Render(Data with { Facts = [new("<script>", "x & \"y\"")] });
        Assert.Contains("KDD Cup 99 &lt;10% sample&gt; &amp; &quot;friends&quot;", html);
        Assert.Contains("<th>&lt;script&gt;</th><td>x &amp; &quot;y&quot;</td>", html);
        Assert.DoesNotContain("<10% sample>", html);
    }

    [Fact]
    public void Other_data_plots_its_own_columns_by_name_escaped_in_titles_axes_and_the_3d_scene()
    {
        var points = Data.Points! with { XName = "Flow <Bytes>/s", YName = "Fwd Packets", ZName = "Idle \"Max\"", AxesNote = "Not KDD: its own columns." };
        var html = ReportWriter.Render(Data with { Points = points });
        Assert.Contains("<h2>Traffic: Flow &lt;Bytes&gt;/s, Fwd Packets and Idle &quot;Max&quot;</h2>", html);
        Assert.Contains("<h3>Flow &lt;Bytes&gt;/s vs Fwd Packets</h3>", html);
        Assert.Contains("<h3>3-D view with Idle &quot;Max&quot;</h3>", html);
        Assert.Contains("Not KDD: its own columns.", html);
        Assert.Contains("Fwd Packets (log scale)", html);
        var scene = Between(html, "id=\"scatter3d-data\">", "</script>");
        Assert.Contains("{\"name\":\"Flow \\u003cBytes\\u003e/s\"", scene);   // no tag can close the script element
        Assert.Contains("{\"name\":\"Idle \\\"Max\\\"\"", scene);
        Assert.DoesNotContain("src_bytes", Between(html, "<section id=\"traffic\">", "</section>"));
        // The notebook's names stay the default.
        Assert.Contains("<h2>Traffic: src_bytes, dst_bytes and duration</h2>", ReportWriter.Render(Data));
        Assert.Contains("{\"name\":\"duration (s)\"", Between(ReportWriter.Render(Data), "id=\"scatter3d-data\">", "</script>"));
    }

    [Fact]
    public void Sample_size_is_stated_for_sampled_plots()
    {
        // 1,500 of the 5,000 synthetic records are flagged: all of them are drawn, and the normal records get the
        // budget left over but never less than half of it.
        var html = ReportWriter.Render(Data, new ReportOptions { MaxScatterPoints = 1_000, Max3dPoints = 500 });
        Assert.Contains("Shown: all 1,500 flagged records and a seeded uniform sample of 500 of the 3,500 normal records (14.29%).", html);
        Assert.Contains("Shown: all 1,500 flagged records and a seeded uniform sample of 250 of the 3,500 normal records (7.14%).", html);
        Assert.Equal((500, 1_500), Scatter2dCounts(html));
        Assert.Equal((250, 1_500), Scatter3dCounts(html));
        Assert.Contains(">normal (500 of 3,500)</text>", html);
        Assert.Contains(">anomaly (flagged) (1,500)</text>", html);
        Assert.Contains("</i>normal (250 of 3,500)</span>", html);
        Assert.Contains("</i>anomaly (flagged) (1,500)</span>", html);
    }

    [Fact]
    public void Every_flagged_record_is_plotted_below_the_cap_and_the_legends_agree_with_the_flagged_count()
    {
        // The user's case: few flagged records (99 of 20,000) among points pre-selected by the run. A uniform sample
        // of the points drew about a fifth of them.
        var full = SyntheticReport.Create(records: 20_000);
        var ll = full.Scores!.LogLikelihood;
        var threshold = ll.Order().ElementAt(99);
        var flags = ll.Select(v => v < threshold).ToArray();
        var data = full with
        {
            Points = full.Points! with { PredictedAnomaly = flags, TotalRecords = 20_000, Selection = "all anomalies (up to 10,000) plus a seeded uniform sample" },
            FlaggedTotal = 99,
        };
        Assert.Equal(99, flags.Count(f => f));

        var html = ReportWriter.Render(data);
        Assert.Equal((3_901, 99), Scatter2dCounts(html));
        Assert.Equal((1_401, 99), Scatter3dCounts(html));
        Assert.Contains(">anomaly (flagged) (99)</text>", html);
        Assert.Contains("</i>anomaly (flagged) (99)</span>", html);
        Assert.Contains("Shown: all 99 flagged records and a seeded uniform sample of 3,901 of the 19,901 normal records (19.60%).", html);
        // Deterministic: the same data gives the same file; another seed draws other normal points, the same flagged ones.
        Assert.Equal(html, ReportWriter.Render(data));
        var reseeded = ReportWriter.Render(data, new ReportOptions { Seed = 8 });
        Assert.NotEqual(html, reseeded);
        Assert.Equal((3_901, 99), Scatter2dCounts(reseeded));
    }

    [Fact]
    public void Capped_flagged_points_are_stated_in_the_caption_and_the_legend()
    {
        // 1,500 flagged points given, at most 600 drawn: the legend counts them against the run's 25,000 flagged.
        var html = ReportWriter.Render(Data with { Points = Data.Points! with { TotalRecords = 4_898_431, Selection = "all anomalies kept" }, FlaggedTotal = 25_000 },
            new ReportOptions { MaxScatterPoints = 1_000, Max3dPoints = 5_000, MaxFlaggedPoints = 600 });
        Assert.Equal((500, 600), Scatter2dCounts(html));
        Assert.Equal((3_500, 600), Scatter3dCounts(html));
        Assert.Contains("Shown: 600 of the 25,000 flagged records (a seeded uniform sample: at most 600 are drawn) and a seeded uniform sample of 500 of the 4,873,431 normal records (0.01%). "
                        + "Drawn from 5,000 of the run&#39;s 4,898,431 records, pre-selected by the run: all anomalies kept.", html);
        Assert.Contains("Shown: 600 of the 25,000 flagged records (a seeded uniform sample: at most 600 are drawn) and a seeded uniform sample of 3,500 of the 4,873,431 normal records (0.07%).", html);
        Assert.Contains(">anomaly (flagged) (600 of 25,000)</text>", html);
        Assert.Contains("</i>anomaly (flagged) (600 of 25,000)</span>", html);
    }

    [Fact]
    public void Pre_sampled_points_report_the_run_total()
    {
        // The run passed all 1,500 of its flagged points but flagged more: the caption says where the shortfall comes from.
        var p = Data.Points!;
        var html = ReportWriter.Render(Data with { Points = p with { TotalRecords = 4_898_431, Selection = "all anomalies kept" }, FlaggedTotal = 1_800 },
            new ReportOptions { MaxScatterPoints = 1_000, Max3dPoints = 5_000 });
        Assert.Contains("Shown: 1,500 of the 1,800 flagged records (as many as the run passed to the report) and a seeded uniform sample of 500 of the 4,896,631 normal records (0.01%). "
                        + "Drawn from 5,000 of the run&#39;s 4,898,431 records, pre-selected by the run: all anomalies kept.", html);
        Assert.Contains("Shown: 1,500 of the 1,800 flagged records (as many as the run passed to the report) and a seeded uniform sample of 3,500 of the 4,896,631 normal records (0.07%).", html);
        Assert.Contains(">anomaly (flagged) (1,500 of 1,800)</text>", html);
    }

    [Fact]
    public void Small_runs_show_every_record()
    {
        var html = ReportWriter.Render(SyntheticReport.Create(records: 1_000));
        Assert.Contains("All 1,000 records shown, 300 of them flagged.", html);
        Assert.Equal((700, 300), Scatter2dCounts(html));
        Assert.Equal((700, 300), Scatter3dCounts(html));
    }

    [Fact]
    public void Pass_timing_is_charted_with_its_medians_when_the_run_timed_its_passes()
    {
        Assert.DoesNotContain("id=\"pass-timing\"", ReportWriter.Render(Data));
        // Wall 60, 70, 65 ms; slowest worker 57, 66, 63; fastest 55, 60, 61: coordination 3, 4, 2 ms.
        PassTimingPoint[] passes = [new(0.060, 0.057, 0.055), new(0.070, 0.066, 0.060), new(0.065, 0.063, 0.061)];
        var html = ReportWriter.Render(Data with { PassTimings = passes });
        Assert.Contains("3 passes (initialisation, EM iterations, the final E-step); medians: 65.0 ms per pass, workers done after "
            + "60.0–63.0 ms, coordination (wall − slowest worker: messages, merging) 3.0 ms.", html);
        var svg = Between(html, "id=\"pass-timing\"", "</svg>");
        foreach (var series in new[] { "s-wall", "s-slowest", "s-fastest" })
            Assert.Equal(3, SvgBuilderTests.Occurrences(Between(svg, $"<g class=\"series {series}\">", "</g>"), "<circle"));
    }

    /// <summary>Circles drawn per class in the 2-D scatter (normal, flagged).</summary>
    private static (int Normal, int Flagged) Scatter2dCounts(string html)
    {
        var svg = Between(html, "id=\"scatter2d\"", "</svg>");
        return (SvgBuilderTests.Occurrences(Between(svg, "<g class=\"points s-normal\">", "</g>"), "<circle"),
            SvgBuilderTests.Occurrences(Between(svg, "<g class=\"points s-anomaly\">", "</g>"), "<circle"));
    }

    /// <summary>Points per class in the 3-D view's data (each is [x,y,z,flag]).</summary>
    private static (int Normal, int Flagged) Scatter3dCounts(string html)
    {
        var json = Between(html, "id=\"scatter3d-data\">", "</script>");
        return (SvgBuilderTests.Occurrences(json, ",0]"), SvgBuilderTests.Occurrences(json, ",1]"));
    }

    private static string Between(string s, string from, string to)
    {
        var start = s.IndexOf(from, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{from}' not found");
        start += from.Length;
        return s[start..s.IndexOf(to, start, StringComparison.Ordinal)];
    }

    [Fact]
    public void Missing_matrix_caption_says_whose_sample_it_shows()
    {
        var m = Data.Missing!; // 2,000 rows given, all of the run's
        Assert.Contains("matrix: a seeded uniform sample of 400 of the 2,000 rows.", ReportWriter.Render(Data));
        Assert.Contains("matrix: all 2,000 rows.", ReportWriter.Render(Data, new ReportOptions { MaxMissingRows = 5_000 }));
        var ofRun = Data with { Missing = m with { TotalRows = 494_021 } };
        Assert.Contains("matrix: 2,000 of the 494,021 rows, sampled by the run.", ReportWriter.Render(ofRun, new ReportOptions { MaxMissingRows = 5_000 }));
        Assert.Contains("matrix: a seeded uniform sample of 400 of the 2,000 rows the run sampled (of 494,021).", ReportWriter.Render(ofRun));
    }

    [Fact]
    public void Missing_sections_are_named_instead_of_drawn()
    {
        var html = ReportWriter.Render(new ReportData { Title = "empty run" });
        Assert.Contains("Not shown for this run:", html);
        Assert.Contains("evaluation (the data has no labels)", html);
        Assert.DoesNotContain("<svg", html);
    }

    [Fact]
    public void Inconsistent_data_is_a_clear_error()
    {
        var p = Data.Points!;
        var ex = Assert.Throws<ArgumentException>(() => ReportWriter.Render(Data with { Points = p with { Z = [1, 2] } }));
        Assert.Contains("duration 2", ex.Message);
        var m = Data.Missing!;
        ex = Assert.Throws<ArgumentException>(() => ReportWriter.Render(Data with { Missing = m with { MissingPerColumn = [1] } }));
        Assert.Contains("17 columns but 1 missing counts", ex.Message);
    }

    [Fact]
    public void Write_creates_the_folder_and_a_utf8_file_without_bom()
    {
        var dir = Path.Combine(Path.GetTempPath(), "distgmm-report-" + Guid.NewGuid().ToString("N"), "run-1");
        var path = Path.Combine(dir, "report.html");
        ReportWriter.Write(Data, path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal((byte)'<', bytes[0]);
        Assert.Equal(ReportWriter.Render(Data), File.ReadAllText(path));
        Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
    }

    [Fact]
    public void Label_evaluation_from_scores_uses_low_log_likelihood_as_positive()
    {
        double[] ll = [-1, -2, -30, -40];
        bool[] predicted = [false, false, true, true];
        bool[] actual = [false, false, true, true];
        var ev = LabelEvaluation.FromScores(ll, predicted, actual, ["normal.", "normal.", "smurf.", "back."]);
        Assert.Equal(1.0, ev.Roc.Area);
        Assert.Equal(1.0, ev.PrecisionRecall.Area);
        Assert.Equal(new DistGmm.Numerics.Evaluation.ConfusionCounts(2, 0, 2, 0), ev.Confusion);
        Assert.Equal(["back.", "normal.", "smurf."], ev.ByLabel.Select(r => r.Label));
    }
}
