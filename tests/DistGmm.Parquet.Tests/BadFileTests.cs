using DistGmm.Data;
using DistGmm.Data.Parquet;
using Xunit;
using Xunit.Abstractions;

namespace DistGmm.Parquet.Tests;

/// <summary>Malformed files fail with one line naming the file and what is wrong (a <see cref="DataFormatException"/>).</summary>
public sealed class BadFileTests(ITestOutputHelper output)
{
    /// <summary>Opens the file and reads every column chunk.</summary>
    internal static void ReadAll(ParquetFileReader reader)
    {
        for (int g = 0; g < reader.RowGroupCount; g++)
            foreach (var f in reader.Schema.Fields) reader.ReadColumn(g, f.Name);
    }

    private DataFormatException AssertRejected(string path)
    {
        var ex = Assert.Throws<DataFormatException>(() =>
        {
            using var reader = ParquetFileReader.Open(path);
            ReadAll(reader);
        });
        output.WriteLine(ex.Message);
        Assert.Equal(path, ex.File);
        Assert.StartsWith(path + ": ", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.DoesNotContain("N7parquet", ex.Message);
        Assert.DoesNotContain("ParquetException", ex.Message);
        return ex;
    }

    public static TheoryData<string, string> SyntheticFiles() => new()
    {
        { "empty.parquet", "file size is 0 bytes" },
        { "magic-only.parquet", "smaller than the minimum file footer" },
        { "magic-twice.parquet", "smaller than the size reported by footer" },
        { "no-trailing-magic.parquet", "magic bytes not found in footer" },
        { "no-leading-magic.parquet", "missing leading magic PAR1" },
        { "footer-len-too-large.parquet", "smaller than the size reported by footer" },
        { "footer-len-zero.parquet", "deserialize thrift" },
        { "footer-garbage.parquet", "deserialize thrift" },
        { "truncated-half.parquet", "magic bytes not found in footer" },
        { "truncated-tail.parquet", "magic bytes not found in footer" },
        { "num-rows-mismatch.parquet", "the footer says 16 rows but the row groups hold 8" },
    };

    [Theory]
    [MemberData(nameof(SyntheticFiles))]
    public void SyntheticBadFileIsRejectedWithReason(string name, string reason)
    {
        var ex = AssertRejected(Path.Combine(Corpus.Dir, "files", "bad", "synthetic", name));
        Assert.True(ex.Message.Contains(reason, StringComparison.Ordinal), ex.Message);
    }

    [Theory]
    [InlineData("PARQUET-1481.parquet", "physical type")]
    [InlineData("ARROW-RS-GH-6229-DICTHEADER.parquet", "page header")]
    [InlineData("ARROW-GH-41317.parquet", "holds 0 values, the row group has 3 rows")]
    [InlineData("ARROW-GH-41321.parquet", "bit_width 254")]
    [InlineData("ARROW-GH-45185.parquet", "every column is nested")]
    [InlineData("ARROW-RS-GH-6229-LEVELS.parquet", "every column is nested")]
    public void UpstreamBadFileIsRejectedWithReason(string name, string reason)
    {
        var ex = AssertRejected(Path.Combine(Corpus.Dir, "files", "bad", name));
        Assert.True(ex.Message.Contains(reason, StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public void BitWidthZeroDictionaryZstdFileReads()
    {
        // ARROW-GH-43605 is valid: bit width 0 dictionary indices (all index 0), ZSTD-compressed.
        string path = Path.Combine(Corpus.Dir, "files", "bad", "ARROW-GH-43605.parquet");
        using var reader = ParquetFileReader.Open(path);
        var column = reader.ReadColumn(0, "min_fl");
        output.WriteLine($"{column.Count} {Canonical.Of(column.GetValue(0))}");
        Assert.Equal(reader.RowGroupRowCount(0), column.Count);
    }

    [Fact]
    public void TruncatedDataPageOfNationIsDecodedLikeArrowDoes()
    {
        // PARQUET-816: a data page claims more bytes than its chunk holds; Arrow C++ decodes it optimistically
        // (its test NationDictTruncatedDataPage) and so do we: 25 rows, as hyparquet and parquetjs read them.
        using var reader = ParquetFileReader.Open(Path.Combine(Corpus.Dir, "files", "bad", "nation.dict-malformed.parquet"));
        Assert.Equal(25, reader.TotalRows);
        ReadAll(reader);
    }

    [Fact]
    public void MissingFileIsAFormatErrorNamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid() + ".parquet");
        var ex = Assert.Throws<DataFormatException>(() => ParquetFileReader.Open(path));
        Assert.Equal(path, ex.File);
    }
}
