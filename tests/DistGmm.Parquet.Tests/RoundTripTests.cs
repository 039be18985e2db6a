using DistGmm.Data.Parquet;
using DistGmm.Data;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>What the writer writes, the reader reads back identically (every type, nulls, codec, encoding).</summary>
public sealed class RoundTripTests
{
    internal static readonly ParquetSchema MixedSchema = new([
        ParquetField.Double("d"),
        ParquetField.Double("dn", nullable: true),
        ParquetField.Int64("l"),
        ParquetField.Int64("ln", nullable: true),
        ParquetField.Int32("i"),
        ParquetField.Int32("in", nullable: true),
        ParquetField.String("s"),
        ParquetField.String("sn", nullable: true),
        ParquetField.Boolean("b"),
        ParquetField.Boolean("bn", nullable: true),
        ParquetField.Float("f", nullable: true),
        ParquetField.Binary("bin", nullable: true),
        ParquetField.FixedLenByteArray("fixed", 3),
        new ParquetField("day", PhysicalType.Int32, false, ParquetLogicalType.Date),
        new ParquetField("price", PhysicalType.Int64, true, ParquetLogicalType.Decimal(12, 2)),
    ]);

    /// <summary>Deterministic rows with nulls, repeated categories (dictionary) and unique values (PLAIN).</summary>
    internal static ParquetColumn[] MixedColumns(int n)
    {
        string[] categories = ["alpha", "beta", "gamma", "δέλτα", "😀"];
        var d = new double[n]; var dn = new double[n]; var dnNull = new bool[n];
        var l = new long[n]; var ln = new long[n]; var lnNull = new bool[n];
        var i32 = new int[n]; var in32 = new int[n]; var inNull = new bool[n];
        var s = new string?[n]; var sn = new string?[n];
        var b = new bool[n]; var bn = new bool[n]; var bnNull = new bool[n];
        var f = new double[n]; var fNull = new bool[n];
        var bin = new byte[]?[n]; var fixedBytes = new byte[]?[n];
        var day = new int[n]; var price = new long[n]; var priceNull = new bool[n];
        for (int r = 0; r < n; r++)
        {
            d[r] = r / 7.0 - 50;
            dn[r] = r % 4 == 0 ? double.NaN : r * 0.5; dnNull[r] = r % 10 == 3;
            l[r] = (r - 500L) * 18446744073709L;
            ln[r] = r % 3; lnNull[r] = r % 11 == 0;
            i32[r] = r % 7 - 3;
            in32[r] = r * 31; inNull[r] = r % 5 == 1;
            s[r] = categories[r % categories.Length];
            sn[r] = r % 13 == 5 ? null : "row-" + r + (r % 7 == 0 ? "-ünïcødé-✓" : "");
            b[r] = r % 3 == 0;
            bn[r] = r % 2 == 0; bnNull[r] = r % 9 == 4;
            f[r] = r % 8 == 7 ? double.PositiveInfinity : (float)(r * 1.1); fNull[r] = r % 6 == 2;
            bin[r] = r % 17 == 0 ? null : [(byte)r, (byte)(r >> 8), 0, 255];
            fixedBytes[r] = [(byte)(r % 3), 1, 2];
            day[r] = 19000 + r;
            price[r] = r * 125 - 9999; priceNull[r] = r % 19 == 0;
        }
        var fs = MixedSchema.Fields;
        return
        [
            ParquetColumn.FromDoubles(fs[0], d, n),
            ParquetColumn.FromDoubles(fs[1], dn, n, dnNull),
            ParquetColumn.FromInt64s(fs[2], l, n),
            ParquetColumn.FromInt64s(fs[3], ln, n, lnNull),
            ParquetColumn.FromInt32s(fs[4], i32, n),
            ParquetColumn.FromInt32s(fs[5], in32, n, inNull),
            ParquetColumn.FromStrings(fs[6], s, n),
            ParquetColumn.FromStrings(fs[7], sn, n),
            ParquetColumn.FromBooleans(fs[8], b, n),
            ParquetColumn.FromBooleans(fs[9], bn, n, bnNull),
            ParquetColumn.FromDoubles(fs[10], f, n, fNull),
            ParquetColumn.FromBinaries(fs[11], bin, n),
            ParquetColumn.FromBinaries(fs[12], fixedBytes, n),
            ParquetColumn.FromInt32s(fs[13], day, n),
            ParquetColumn.FromInt64s(fs[14], price, n, priceNull),
        ];
    }

    internal static void AssertSameValues(ParquetColumn expected, ParquetColumn actual, int offset = 0)
    {
        for (int r = 0; r < actual.Count; r++)
            Assert.True(Canonical.Of(expected.GetValue(offset + r)) == Canonical.Of(actual.GetValue(r)),
                $"column '{expected.Field.Name}' row {offset + r}: wrote {Canonical.Of(expected.GetValue(offset + r))}, read {Canonical.Of(actual.GetValue(r))}");
    }

    [Theory]
    [InlineData(CompressionCodec.Uncompressed, true)]
    [InlineData(CompressionCodec.Snappy, true)]
    [InlineData(CompressionCodec.Snappy, false)]
    [InlineData(CompressionCodec.Gzip, true)]
    [InlineData(CompressionCodec.Brotli, false)]
    [InlineData(CompressionCodec.Zstd, true)]
    [InlineData(CompressionCodec.Lz4Raw, false)]
    public void EveryTypeRoundTrips(CompressionCodec codec, bool dictionary)
    {
        using var dir = new TempDir();
        string path = dir.File("mixed.parquet");
        const int n = 3000;
        var columns = MixedColumns(n);
        var options = new ParquetWriteOptions { Codec = codec, Dictionary = dictionary, RowGroupSize = 1200, PageSize = 4096 };
        options.KeyValueMetadata["manifest"] = "{\"shards\":3}";
        using (var writer = new ParquetFileWriter(path, MixedSchema, options)) writer.WriteRowGroup(columns);

        using var reader = ParquetFileReader.Open(path);
        Assert.Equal(n, reader.TotalRows);
        Assert.Equal(3, reader.RowGroupCount);
        Assert.Equal([1200L, 1200L, 600L], Enumerable.Range(0, 3).Select(reader.RowGroupRowCount));
        Assert.Equal("{\"shards\":3}", reader.KeyValueMetadata["manifest"]);
        Assert.Equal(MixedSchema.Fields, reader.Schema.Fields);
        int offset = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            foreach (var column in columns)
            {
                var read = reader.ReadColumn(g, column.Field.Name);
                Assert.Equal(codec, reader.GetColumnChunkInfo(g, reader.Schema.IndexOf(column.Field.Name)).Codec);
                AssertSameValues(column, read, offset);
            }
            offset += (int)reader.RowGroupRowCount(g);
        }
    }

    [Fact]
    public void DictionaryIsUsedForLowCardinalityAndPlainForUniqueValues()
    {
        using var dir = new TempDir();
        string path = dir.File("dict.parquet");
        using (var writer = new ParquetFileWriter(path, MixedSchema)) writer.WriteRowGroup(MixedColumns(5000));
        using var reader = ParquetFileReader.Open(path);
        var category = reader.GetColumnChunkInfo(0, reader.Schema.IndexOf("s"));
        var unique = reader.GetColumnChunkInfo(0, reader.Schema.IndexOf("d"));
        Assert.Contains(ParquetEncoding.RleDictionary, category.Encodings);
        Assert.DoesNotContain(ParquetEncoding.RleDictionary, unique.Encodings);
    }

    [Fact]
    public void StatisticsHoldMinMaxAndNullCount()
    {
        using var dir = new TempDir();
        string path = dir.File("stats.parquet");
        const int n = 100;
        using (var writer = new ParquetFileWriter(path, MixedSchema)) writer.WriteRowGroup(MixedColumns(n));
        using var reader = ParquetFileReader.Open(path);
        var d = reader.GetColumnChunkInfo(0, reader.Schema.IndexOf("d")).Statistics!;
        Assert.Equal(0, d.NullCount);
        Assert.Equal(-50.0, BitConverter.ToDouble(d.Min));
        Assert.Equal(99 / 7.0 - 50, BitConverter.ToDouble(d.Max));
        var ln = reader.GetColumnChunkInfo(0, reader.Schema.IndexOf("ln")).Statistics!;
        Assert.Equal(Enumerable.Range(0, n).Count(r => r % 11 == 0), ln.NullCount);
        Assert.Equal(0L, BitConverter.ToInt64(ln.Min));
        Assert.Equal(2L, BitConverter.ToInt64(ln.Max));
        var s = reader.GetColumnChunkInfo(0, reader.Schema.IndexOf("s")).Statistics!;
        Assert.Equal("alpha", System.Text.Encoding.UTF8.GetString(s.Min!));
        Assert.Equal("😀", System.Text.Encoding.UTF8.GetString(s.Max!)); // UTF-8 order: U+1F600 sorts above Greek
        var dn = reader.GetColumnChunkInfo(0, reader.Schema.IndexOf("dn")).Statistics!;
        Assert.Equal(0.5, BitConverter.ToDouble(dn.Min)); // NaN ignored
    }

    [Fact]
    public void ReadDoublesConvertsNumericColumnsAndNullsBecomeNaN()
    {
        using var dir = new TempDir();
        string path = dir.File("doubles.parquet");
        const int n = 2000;
        var columns = MixedColumns(n);
        using (var writer = new ParquetFileWriter(path, MixedSchema, new ParquetWriteOptions { PageSize = 1000 })) writer.WriteRowGroup(columns);
        using var reader = ParquetFileReader.Open(path);
        var buffer = new double[n];
        foreach (var name in new[] { "d", "dn", "l", "ln", "i", "in", "f", "day", "price" })
        {
            Assert.Equal(n, reader.ReadDoubles(0, name, buffer));
            var column = columns[MixedSchema.IndexOf(name)];
            for (int r = 0; r < n; r++)
            {
                double expected = column.GetDouble(r);
                Assert.True(expected.Equals(buffer[r]), $"{name} row {r}: {buffer[r]} != {expected}");
            }
        }
        Assert.True(double.IsNaN(buffer[0])); // price: row 0 is null
        Assert.Equal(-98.74, buffer[1]);     // DECIMAL(12,2) unscaled -9874
    }

    [Fact]
    public void EmptyFileAndEmptyRowGroupRoundTrip()
    {
        using var dir = new TempDir();
        string none = dir.File("none.parquet");
        using (new ParquetFileWriter(none, MixedSchema)) { }
        using (var reader = ParquetFileReader.Open(none))
        {
            Assert.Equal(0, reader.TotalRows);
            Assert.Equal(0, reader.RowGroupCount);
        }
        string empty = dir.File("empty.parquet");
        using (var writer = new ParquetFileWriter(empty, MixedSchema)) writer.WriteRowGroup(MixedColumns(0));
        using (var reader = ParquetFileReader.Open(empty))
        {
            Assert.Equal(1, reader.RowGroupCount);
            Assert.Equal(0, reader.ReadColumn(0, "s").Count);
        }
    }

    [Fact]
    public void WriterRejectsMismatchedColumns()
    {
        using var dir = new TempDir();
        using var writer = new ParquetFileWriter(dir.File("bad.parquet"), MixedSchema);
        var columns = MixedColumns(10);
        Assert.Throws<ArgumentException>(() => writer.WriteRowGroup(columns[..3]));
        columns[1] = ParquetColumn.FromDoubles(MixedSchema.Fields[1], new double[5], 5);
        Assert.Throws<ArgumentException>(() => writer.WriteRowGroup(columns));
        Assert.Throws<ArgumentException>(() => ParquetColumn.FromDoubles(ParquetField.Double("x"), new double[2], 2, [true, false]));
        Assert.Throws<ArgumentException>(() => ParquetColumn.FromStrings(ParquetField.String("x"), ["a", null], 2));
    }
}
