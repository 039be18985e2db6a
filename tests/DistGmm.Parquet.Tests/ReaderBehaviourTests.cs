using DistGmm.Data.Parquet;
using DistGmm.Data;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>Reader properties beyond single-file conformance: concurrency, argument errors, INT96.</summary>
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
