using System.IO.Compression;
using DistGmm.Parquet.Compression;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>Reader properties beyond single-file conformance: concurrency, projection, codec details.</summary>
public sealed class ReaderBehaviourTests
{
    [Fact]
    public void ConcurrentReadsOfOneReaderGiveTheSameValues()
    {
        using var dir = new TempDir();
        string path = dir.File("concurrent.parquet");
        var columns = RoundTripTests.MixedColumns(4000);
        using (var writer = new ParquetFileWriter(path, RoundTripTests.MixedSchema, new ParquetWriteOptions { RowGroupSize = 1000, PageSize = 2048 }))
            writer.WriteRowGroup(columns);
        using var reader = ParquetFileReader.Open(path);
        var jobs = (from g in Enumerable.Range(0, reader.RowGroupCount) from c in Enumerable.Range(0, columns.Length) select (g, c)).ToArray();
        var results = new ParquetColumn[jobs.Length];
        Parallel.For(0, jobs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            j => results[j] = reader.ReadColumn(jobs[j].g, columns[jobs[j].c].Field.Name));
        for (int j = 0; j < jobs.Length; j++) RoundTripTests.AssertSameValues(columns[jobs[j].c], results[j], jobs[j].g * 1000);
    }

    [Fact]
    public void ProjectionReadsOnlyTheRequestedChunk()
    {
        // Corrupt every byte of column 'd' in row group 0: reading other columns still works, 'd' fails.
        using var dir = new TempDir();
        string path = dir.File("projection.parquet");
        var columns = RoundTripTests.MixedColumns(500);
        using (var writer = new ParquetFileWriter(path, RoundTripTests.MixedSchema)) writer.WriteRowGroup(columns);
        byte[] bytes = File.ReadAllBytes(path);
        ColumnChunkInfo info;
        using (var reader = ParquetFileReader.Open(path)) info = reader.GetColumnChunkInfo(0, 0);
        Array.Fill(bytes, (byte)0xEE, (int)info.DataPageOffset, (int)info.CompressedSize);
        using var damaged = ParquetFileReader.Open(bytes, "damaged.parquet");
        RoundTripTests.AssertSameValues(columns[6], damaged.ReadColumn(0, "s"));
        var ex = Assert.Throws<ParquetFormatException>(() => damaged.ReadColumn(0, "d"));
        Assert.InRange(ex.Offset, info.DataPageOffset, info.DataPageOffset + info.CompressedSize);
    }

    [Fact]
    public void GzipPagesContinueAcrossConcatenatedMembers()
    {
        byte[] first = "first member|"u8.ToArray(), second = "second member"u8.ToArray();
        using var ms = new MemoryStream();
        foreach (var part in new[] { first, second })
            using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(part);
        byte[] compressed = ms.ToArray();
        byte[] buffer = [];
        var result = PageCompression.Decompress(CompressionCodec.Gzip, compressed, compressed, 0, first.Length + second.Length, ref buffer);
        Assert.Equal("first member|second member", System.Text.Encoding.UTF8.GetString(result));
    }

    [Fact]
    public void UnknownColumnAndRowGroupAreArgumentErrors()
    {
        using var reader = ParquetFileReader.Open(Corpus.File("alltypes_plain.parquet"));
        Assert.Throws<ArgumentException>(() => reader.ReadColumn(0, "no_such_column"));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadColumn(1, "id"));
        Assert.Throws<ArgumentException>(() => reader.ReadDoubles(0, "string_col", new double[8]));
        Assert.Throws<ArgumentException>(() => reader.ReadDoubles(0, "id", new double[7]));
    }

    [Fact]
    public void Int96TimestampsAreExactNanoseconds()
    {
        // Exact values from CORPUS.md (decoded by hand from the dictionary page), including the two beyond Int64.
        using var reader = ParquetFileReader.Open(Corpus.File("int96_from_spark.parquet"));
        var column = reader.ReadColumn(0, reader.Schema.Fields[0].Name);
        string[] expected = ["1704141296123456000", "1704070800000000000", "253402225200000000000", "1735599600000000000", "null", "-9357363680509551616000"];
        Assert.Equal(expected, Enumerable.Range(0, column.Count).Select(i => Canonical.Of(column.GetValue(i))));
    }
}
