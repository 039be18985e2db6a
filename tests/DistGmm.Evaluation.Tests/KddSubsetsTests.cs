using DistGmm.Data;
using DistGmm.Evaluation;
using Xunit;

namespace DistGmm.Evaluation.Tests;

public sealed class KddSubsetsTests
{
    // duration, service, src_bytes, dst_bytes, logged_in, label
    private static readonly (double Duration, string Service, double Src, double Dst, double LoggedIn, string Label)[] Rows =
    [
        (0, "http", 100, 200, 1, "normal."),   // 0: http, SF
        (2, "smtp", 50, 0, 1, "smurf."),       // 1: smtp, SF
        (0, "http", 10, 10, 0, "normal"),      // 2: not logged in
        (1, "ftp", 5, 7, 1, "neptune"),        // 3: SF only
        (0, "http", 0, 0, 1, "back."),         // 4: http, SF
    ];

    internal static KddTable Table(IEnumerable<(double, string, double, double, double, string)> rows)
    {
        var list = rows.ToList();
        var columns = new[]
        {
            new ColumnInfo("duration", ColumnRole.Numeric), new ColumnInfo("service", ColumnRole.Categorical),
            new ColumnInfo("src_bytes", ColumnRole.Numeric), new ColumnInfo("dst_bytes", ColumnRole.Numeric),
            new ColumnInfo("logged_in", ColumnRole.Numeric), new ColumnInfo("label", ColumnRole.Label),
        };
        var batch = new ColumnBatch(columns, list.Count) { Count = list.Count };
        for (var r = 0; r < list.Count; r++)
        {
            var (duration, service, src, dst, loggedIn, label) = list[r];
            batch.RowIds[r] = r;
            batch.Numbers[0]![r] = duration;
            batch.Texts[1]![r] = service;
            batch.Numbers[2]![r] = src;
            batch.Numbers[3]![r] = dst;
            batch.Numbers[4]![r] = loggedIn;
            batch.Texts[5]![r] = label;
        }
        return new KddTable(batch, [list.Count]);
    }

    [Fact]
    public void HttpKeepsLoggedInHttpRowsWithShiftedLogs()
    {
        var subset = KddSubsets.Build(Table(Rows), KddSubset.Http, 0);
        Assert.Equal([0, 4], subset.SourceRows);
        Assert.Equal([false, true], subset.Attack);
        Assert.Equal(["log(duration+0.1)", "log(src_bytes+0.1)", "log(dst_bytes+0.1)"], subset.FeatureNames);
        Assert.Equal([Math.Log(0.1), Math.Log(100.1), Math.Log(200.1), Math.Log(0.1), Math.Log(0.1), Math.Log(0.1)], subset.Features!.Values);
    }

    [Fact]
    public void SmtpKeepsLoggedInSmtpRows()
    {
        var subset = KddSubsets.Build(Table(Rows), KddSubset.Smtp, 0);
        Assert.Equal([1], subset.SourceRows);
        Assert.Equal([true], subset.Attack);
        Assert.Equal([Math.Log(2.1), Math.Log(50.1), Math.Log(0.1)], subset.Features!.Values);
    }

    [Fact]
    public void SfKeepsEveryLoggedInRowWithServiceOneHot()
    {
        var subset = KddSubsets.Build(Table(Rows), KddSubset.SF, 0);
        Assert.Equal([0, 1, 3, 4], subset.SourceRows);
        Assert.Equal([false, true, true, true], subset.Attack);
        Assert.Equal(["log(duration+0.1)", "service=ftp", "service=http", "service=smtp", "log(src_bytes+0.1)", "log(dst_bytes+0.1)"],
            subset.FeatureNames);
        Assert.Equal([Math.Log(2.1), 0, 0, 1, Math.Log(50.1), Math.Log(0.1)], subset.Features!.Row(1).ToArray());
    }

    [Fact]
    public void SaIsAllNormalRowsThenNumpyDrawsOfAbnormalRows()
    {
        // np.random.RandomState(0).randint(0, 3, 8) = [0 1 0 1 1 2 0 2]; abnormal rows in file order: 1, 3, 4
        var subset = KddSubsets.Build(Table(Rows), KddSubset.SA, 0);
        Assert.Equal(2 + KddSubsets.SaAbnormalRows, subset.SourceRows.Length);
        Assert.Equal([0, 2, 1, 3, 1, 3, 3, 4, 1, 4], subset.SourceRows[..10]);
        Assert.Equal([false, false], subset.Attack[..2]);
        Assert.All(subset.Attack[2..], Assert.True);
        Assert.Null(subset.Features);
    }

    [Fact]
    public void ImpossibleLogValueNamesColumnAndRow()
    {
        var rows = Rows.ToList();
        rows[3] = (1, "ftp", -5, 7, 1, "neptune");
        var error = Assert.Throws<DataFormatException>(() => KddSubsets.Build(Table(rows), KddSubset.SF, 0));
        Assert.Contains("src_bytes", error.Message);
        Assert.Contains("row 3", error.Message);
    }

    [Fact]
    public void MissingColumnIsAClearError()
    {
        var columns = new[] { new ColumnInfo("duration", ColumnRole.Numeric), new ColumnInfo("label", ColumnRole.Label) };
        var batch = new ColumnBatch(columns, 1) { Count = 1 };
        batch.Texts[1]![0] = "normal";
        var error = Assert.Throws<ArgumentException>(() => KddSubsets.Build(new KddTable(batch, [1]), KddSubset.Http, 0));
        Assert.Contains("logged_in", error.Message);
    }
}
