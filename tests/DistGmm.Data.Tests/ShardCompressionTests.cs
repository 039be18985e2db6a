using DistGmm.Data.Parquet;

namespace DistGmm.Data.Tests;

/// <summary>`ingest --compression`: every codec writes the same rows, and the manifest says which codec and library.</summary>
public sealed class ShardCompressionTests
{
    [Theory]
    [InlineData(CompressionCodec.Zstd, "ZSTD")]
    [InlineData(CompressionCodec.Gzip, "GZIP")]
    [InlineData(CompressionCodec.Lz4Raw, "LZ4_RAW")]
    [InlineData(CompressionCodec.Uncompressed, "UNCOMPRESSED")]
    public void Every_codec_writes_the_rows_the_snappy_default_writes(CompressionCodec codec, string name)
    {
        var snappy = Ingestion.Ingest(new IngestOptions(TestData.Fixture("gaps.csv"), TestData.TempDir(), Shards: 2)).Manifest;
        var other = Ingestion.Ingest(new IngestOptions(TestData.Fixture("gaps.csv"), TestData.TempDir(), Shards: 2, Compression: codec)).Manifest;
        Assert.Equal(new ShardStorage("SNAPPY", "ParquetSharp 25.0.1.2"), snappy.Storage);
        Assert.Equal(new ShardStorage(name, "ParquetSharp 25.0.1.2"), DatasetManifest.Load(other.Directory).Storage);
        for (var s = 0; s < 2; s++)
        {
            using (var reader = ParquetFileReader.Open(other.ShardPath(s)))
                for (var c = 0; c < reader.Schema.Fields.Count; c++)
                    Assert.Equal(codec, reader.GetColumnChunkInfo(0, c).Codec);
            var want = ShardLoader.ReadRaw(snappy.ShardPath(s));
            var got = ShardLoader.ReadRaw(other.ShardPath(s));
            Assert.Equal(want.RowIds.Take(want.Count), got.RowIds.Take(got.Count));
            for (var c = 0; c < want.Columns.Count; c++)
            {
                if (want.Numbers[c] is { } n) Assert.Equal(n.Take(want.Count), got.Numbers[c]!.Take(got.Count));
                else Assert.Equal(want.Texts[c]!.Take(want.Count), got.Texts[c]!.Take(got.Count));
            }
        }
    }
}
