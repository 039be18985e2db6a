namespace DistGmm.Data.Tests;

public sealed class SynthesizerTests
{
    [Fact]
    public void Text_resampling_draws_source_lines_reproducibly_and_says_it_is_synthetic()
    {
        var dir = TestData.TempDir();
        var source = TestData.Fixture("kdd_head20.txt");
        var sourceLines = TestData.ReadLines(source).ToList();
        var a = Synthesizer.Synthesize(new SynthOptions(20_000, source, 1, Path.Combine(dir, "a.txt")));
        var b = Synthesizer.Synthesize(new SynthOptions(20_000, source, 1, Path.Combine(dir, "b.txt.gz")));
        var c = Synthesizer.Synthesize(new SynthOptions(20_000, source, 2, Path.Combine(dir, "c.txt")));
        Assert.Equal(20, a.SourceRows);
        var lines = TestData.ReadLines(a.Out).ToList();
        Assert.Equal(20_000, lines.Count);
        Assert.All(lines, l => Assert.Contains(l, sourceLines));
        Assert.Equal(lines, TestData.ReadLines(b.Out));                  // same seed, same rows (gzip'd here)
        Assert.NotEqual(lines, TestData.ReadLines(c.Out));
        // Uniform with replacement: every source line drawn about 1000 times (binomial σ ≈ 31).
        var distinct = sourceLines.Distinct().ToList();
        foreach (var line in distinct)
            Assert.InRange(lines.Count(l => l == line), 1000 * sourceLines.Count(s => s == line) - 160, 1000 * sourceLines.Count(s => s == line) + 160);
        Assert.Contains("\"synthetic\": true", File.ReadAllText(a.MarkerFile));

        var ingested = Ingestion.Ingest(new IngestOptions(b.Out, Path.Combine(dir, "ds"), Shards: 2));
        Assert.True(ingested.Manifest.Synthetic);
        Assert.Equal(SourceFormat.KddRaw, ingested.Manifest.SourceFormat);
        Assert.Equal(20_000, ingested.Manifest.TotalRows);
    }

    [Fact]
    public void A_header_csv_keeps_its_header_on_top()
    {
        var dir = TestData.TempDir();
        var result = Synthesizer.Synthesize(new SynthOptions(50, TestData.Fixture("gaps.csv"), 9, Path.Combine(dir, "g.csv")));
        var lines = File.ReadAllLines(result.Out);
        Assert.Equal("bytes,kind,\"rate\",class", lines[0]);
        Assert.Equal(51, lines.Length);
        Assert.Equal(5, result.SourceRows);
    }

    [Fact]
    public void Parquet_output_carries_the_synthetic_flag_into_the_dataset()
    {
        var dir = TestData.TempDir();
        var result = Synthesizer.Synthesize(new SynthOptions(70_000, TestData.Fixture("kdd_head20.txt"), 3, Path.Combine(dir, "s.parquet")));
        var ingested = Ingestion.Ingest(new IngestOptions(result.Out, Path.Combine(dir, "ds"), Shards: 3));
        Assert.True(ingested.Manifest.Synthetic);
        Assert.Equal(SourceFormat.Parquet, ingested.Manifest.SourceFormat);
        Assert.Equal(70_000, ingested.Manifest.TotalRows);
        Assert.Equal(KddSchema.Columns, ingested.Manifest.DataColumns);
        var sourceBytes = TestData.ReadLines(TestData.Fixture("kdd_head20.txt")).Select(l => double.Parse(l.Split(',')[4])).ToHashSet();
        var shard = ShardLoader.ReadRaw(ingested.Manifest.ShardPath(2));
        Assert.All(shard.Numbers[4]!.Take(shard.Count), v => Assert.Contains(v, sourceBytes));
    }

    [Fact]
    public void A_missing_source_is_a_clear_error()
    {
        var e = Assert.Throws<DataFormatException>(() =>
            Synthesizer.Synthesize(new SynthOptions(5, "/nonexistent/kdd.gz", 1, Path.Combine(TestData.TempDir(), "x.txt"))));
        Assert.Equal("/nonexistent/kdd.gz: input file not found", e.Message);
    }
}
