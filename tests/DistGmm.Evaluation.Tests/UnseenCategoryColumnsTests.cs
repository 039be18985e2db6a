using DistGmm.Data;
using DistGmm.Evaluation;
using Xunit;

namespace DistGmm.Evaluation.Tests;

public sealed class UnseenCategoryColumnsTests
{
    private static ColumnBatch Batch(params (double X, string Proto)[] rows)
    {
        var columns = new[] { new ColumnInfo("x", ColumnRole.Numeric), new ColumnInfo("proto", ColumnRole.Categorical), new ColumnInfo("label", ColumnRole.Label) };
        var batch = new ColumnBatch(columns, rows.Length) { Count = rows.Length };
        for (var r = 0; r < rows.Length; r++)
        {
            batch.RowIds[r] = r;
            batch.Numbers[0]![r] = rows[r].X;
            batch.Texts[1]![r] = rows[r].Proto;
            batch.Texts[2]![r] = "smurf";
        }
        return batch;
    }

    [Fact]
    public void CategoriesMissingFromTrainingGetTheirOwnZeroInTrainingColumns()
    {
        var train = Batch((1, "tcp"), (2, "udp"), (3, "tcp"));
        var all = Batch((1, "tcp"), (2, "udp"), (3, "tcp"), (4, "icmp"), (5, "arp"));
        var preprocessor = Preprocessor.Fit(() => [train], train.Columns, new PreprocessingSpec("t", Encoding: CategoricalEncoding.OneHot, Scaling: Scaling.None));
        var extra = UnseenCategoryColumns.Build(preprocessor, [all]);
        Assert.Equal(["proto=arp", "proto=icmp"], extra.Names);

        int[] trainRows = [0, 1, 2];
        var trainMatrix = extra.Append(preprocessor.Transform(train, trainRows), train, trainRows);
        Assert.Equal(5, trainMatrix.Cols); // x, proto=tcp, proto=udp, arp, icmp
        for (var i = 0; i < 3; i++) Assert.Equal([0.0, 0.0], trainMatrix.Row(i)[3..].ToArray());

        int[] rows = [1, 3, 4];
        var matrix = extra.Append(preprocessor.Transform(all, rows), all, rows);
        Assert.Equal([2.0, 0, 1, 0, 0], matrix.Row(0).ToArray());
        Assert.Equal([4.0, 0, 0, 0, 1], matrix.Row(1).ToArray());
        Assert.Equal([5.0, 0, 0, 1, 0], matrix.Row(2).ToArray());
    }

    [Fact]
    public void NothingUnseenLeavesTheMatrixAlone()
    {
        var train = Batch((1, "tcp"), (2, "udp"));
        var preprocessor = Preprocessor.Fit(() => [train], train.Columns, new PreprocessingSpec("t", Encoding: CategoricalEncoding.OneHot, Scaling: Scaling.None));
        var extra = UnseenCategoryColumns.Build(preprocessor, [train]);
        Assert.Equal(0, extra.Width);
        int[] rows = [0, 1];
        var features = preprocessor.Transform(train, rows);
        Assert.Same(features, extra.Append(features, train, rows));
    }
}
