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
    public void Sample_size_is_stated_for_sampled_plots()
    {
        var html = ReportWriter.Render(Data, new ReportOptions { MaxScatterPoints = 1_000, Max3dPoints = 500 });
        Assert.Contains("Uniform random sample of 1,000 of 5,000 records (20.00%).", html);
        Assert.Contains("Uniform random sample of 500 of 5,000 records (10.00%).", html);
        var scatter = html[html.IndexOf("id=\"scatter2d\"", StringComparison.Ordinal)..];
        scatter = scatter[..scatter.IndexOf("</svg>", StringComparison.Ordinal)];
        Assert.Equal(1_000, SvgBuilderTests.Occurrences(scatter, "<circle"));
    }

    [Fact]
    public void Pre_sampled_points_report_the_run_total()
    {
        var p = Data.Points!;
        var html = ReportWriter.Render(Data with { Points = p with { TotalRecords = 4_898_431, Selection = "all anomalies kept" } },
            new ReportOptions { MaxScatterPoints = 1_000, Max3dPoints = 5_000 });
        Assert.Contains("Showing 1,000 of 4,898,431 records (0.02%): a uniform sample of 5,000 records pre-selected by the run; all anomalies kept.", html);
        Assert.Contains("Showing 5,000 of 4,898,431 records (0.10%), pre-selected by the run; all anomalies kept.", html);
        Assert.DoesNotContain("Uniform random sample", html);
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
        var ex = Assert.Throws<ArgumentException>(() => ReportWriter.Render(Data with { Points = p with { Duration = [1, 2] } }));
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
