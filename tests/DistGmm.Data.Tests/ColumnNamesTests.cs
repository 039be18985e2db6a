using Native = ParquetSharp;

namespace DistGmm.Data.Tests;

/// <summary>Row ids (pandas' index too) are not features; a table with the 41 KDD features is KDD in any file format.</summary>
public sealed class ColumnNamesTests
{
    [Fact]
    public void A_pandas_index_written_to_csv_is_not_a_feature()
    {
        // DataFrame.to_csv() with its index: an empty first header field; read back and written again: "Unnamed: 0".
        var dir = TestData.TempDir();
        foreach (var header in new[] { ",bytes,kind,label", "Unnamed: 0,bytes,kind,label", "index,bytes,kind,label" })
        {
            var path = TestData.WriteText(dir, "frame.csv", $"{header}\n7,10,tcp,normal\n9,20,udp,smurf\n");
            var (batch, _) = SourceReading.ReadAll(path);
            Assert.Equal([new ColumnInfo("bytes", ColumnRole.Numeric), new ColumnInfo("kind", ColumnRole.Categorical),
                new ColumnInfo("label", ColumnRole.Label)], batch.Columns);
        }
    }

    /// <summary>pyarrow's way with an NSL-KDD frame: its index, the 41 features, the label as "attack", a difficulty level.</summary>
    private static string WriteNslKddParquet(string dir)
    {
        var path = Path.Combine(dir, "KDDTrain+.parquet");
        var columns = new List<Native.Column> { new Native.Column<long>("__index_level_0__") };
        columns.AddRange(KddSchema.FeatureNames.Select(name => KddSchema.CategoricalNames.Contains(name)
            ? (Native.Column)new Native.Column<string>(name, Native.LogicalType.String())
            : new Native.Column<double>(name)));
        columns.Add(new Native.Column<string>("attack", Native.LogicalType.String()));
        columns.Add(new Native.Column<long>("level"));
        using var file = new Native.ParquetFileWriter(path, [.. columns]);
        using (var group = file.AppendRowGroup())
        {
            using (var w = group.NextColumn().LogicalWriter<long>()) w.WriteBatch([40, 41]);
            foreach (var name in KddSchema.FeatureNames)
            {
                if (KddSchema.CategoricalNames.Contains(name))
                {
                    using var w = group.NextColumn().LogicalWriter<string>();
                    w.WriteBatch(name == "protocol_type" ? ["tcp", "udp"] : ["http", "SF"]);
                }
                else
                {
                    using var w = group.NextColumn().LogicalWriter<double>();
                    w.WriteBatch([1.0, 2.0]);
                }
            }
            using (var w = group.NextColumn().LogicalWriter<string>()) w.WriteBatch(["normal", "neptune"]);
            using (var w = group.NextColumn().LogicalWriter<long>()) w.WriteBatch([21, 15]);
        }
        file.Close();
        return path;
    }

    [Fact]
    public void A_kdd_parquet_gets_the_kdd_roles_its_label_by_any_label_name_and_leaves_out_index_and_level()
    {
        var (batch, format) = SourceReading.ReadAll(WriteNslKddParquet(TestData.TempDir()));
        Assert.Equal(SourceFormat.Parquet, format);
        Assert.Equal([.. KddSchema.Columns.Take(41), new ColumnInfo("attack", ColumnRole.Label)], batch.Columns);
        Assert.Equal(["normal", "neptune"], batch.Labels!.Take(2));
    }
}
