namespace DistGmm.Data.Tests;

/// <summary>The compact raw values workers keep for anomaly output, and the streaming features-only shard load.</summary>
public sealed class CompactRawRowsTests
{
    [Fact]
    public void Every_value_comes_back_bit_for_bit_across_segments()
    {
        var rng = new Random(7);
        double?[] Numbers(Func<int, double?> f) => [.. Enumerable.Range(0, 300).Select(f)];
        var batch = TestData.Batch(
            ("counts", Numbers(i => rng.Next(0, 512))),
            ("bytes", Numbers(i => rng.Next(0, int.MaxValue))),
            ("rates", Numbers(i => rng.Next(0, 101) / 100.0)),
            ("shifted", Numbers(i => (rng.Next(0, 4000) - 3250) / 1000.0)),
            ("arbitrary", Numbers(i => rng.NextDouble() * 1e6)),
            ("huge", Numbers(i => i % 2 == 0 ? 1e15 + i : -5e12)),
            ("negativeZero", Numbers(i => i % 3 == 0 ? -0.0 : 1.0)),
            ("missing", Numbers(i => i % 5 == 0 ? null : i)),
            ("service", (string?[])[.. Enumerable.Range(0, 300).Select(i => i % 7 == 0 ? null : "s" + (i % 300))]),
            ("label", (string?[])[.. Enumerable.Range(0, 300).Select(i => i % 2 == 0 ? "normal" : "smurf")]));
        int[] first = [.. Enumerable.Range(0, 300).Where(i => i % 4 != 1)];
        int[] second = [.. Enumerable.Range(0, 300).Where(i => i % 3 == 2).Reverse()];
        var compact = new CompactRawRows(batch.Columns).Append(batch, first).Append(batch, []).Append(batch, second);

        Assert.Equal(first.Length + second.Length, compact.Count);
        int[] all = [.. first, .. second];
        for (var row = 0; row < all.Length; row++)
            for (var c = 0; c < batch.Columns.Count; c++)
            {
                if (batch.Numbers[c] is { } numbers)
                    Assert.Equal(BitConverter.DoubleToInt64Bits(numbers[all[row]]), BitConverter.DoubleToInt64Bits(compact.Number(row, c)));
                else
                    Assert.Same(batch.Texts[c]![all[row]], compact.Text(row, c));
            }
        // Bytes per (here: distinct) row, chosen per segment: the row's index 1, counts 2 (0..511), bytes 4, rates 1
        // (hundredths), shifted 2 (thousandths), 8 each where no integer code reproduces the values (fractions, beyond
        // 2^31, −0, NaN), service 1, label 1. The second segment has no −0 (i % 3 == 2), so that column is 1 byte there.
        Assert.Equal(first.Length * (1 + 2 + 4 + 1 + 2 + 4 * 8 + 1 + 1L) + second.Length * (1 + 2 + 4 + 1 + 2 + 3 * 8 + 1 + 1 + 1L), compact.Bytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => compact.Number(compact.Count, 0));
    }

    [Fact]
    public void Repeated_rows_are_stored_once()
    {
        double?[] Cycle(params double?[] values) => [.. Enumerable.Range(0, 1000).Select(i => values[i % values.Length])];
        var batch = TestData.Batch(("x", Cycle(0.5, 1e300, null)), ("y", Cycle(1, 2)), ("flag", (string?[])[.. Enumerable.Range(0, 1000).Select(i => i % 2 == 0 ? "SF" : null)]));
        var compact = new CompactRawRows(batch.Columns).Append(batch, [.. Enumerable.Range(0, 1000)]);
        // Six distinct rows (i mod 6): a 1-byte index per row plus the six rows' codes (x as doubles, y and flag 1 byte).
        Assert.Equal(1000 + 6 * (8 + 1 + 1L), compact.Bytes);
        for (var r = 0; r < 1000; r++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(batch.Numbers[0]![r]), BitConverter.DoubleToInt64Bits(compact.Number(r, 0)));
            Assert.Equal(batch.Numbers[1]![r], compact.Number(r, 1));
            Assert.Equal(batch.Texts[2]![r], compact.Text(r, 2));
        }
    }

    [Fact]
    public void Loading_features_only_row_group_by_row_group_equals_the_whole_shard_load()
    {
        var dir = TestData.TempDir();
        try
        {
            // Small row groups: each shard has several, so the streaming load crosses group boundaries.
            var manifest = Ingestion.Ingest(new IngestOptions(TestData.Head500Csv, dir, Shards: 2, RowGroupSize: 37)).Manifest;
            foreach (var filter in new Func<string?, bool>?[] { null, label => label == "normal" })
            {
                var pre = Preprocessor.Fit(dir, PreprocessingSpec.Preset("seed"), filter);
                for (var s = 0; s < manifest.Shards.Count; s++)
                {
                    var whole = ShardLoader.Load(manifest, s, pre, filter);
                    var lean = ShardLoader.LoadFeatures(manifest, s, pre, filter);
                    Assert.True(whole.Rows > 37, $"shard {s} has {whole.Rows} rows");
                    Assert.Equal(whole.Features.Values, lean.Features.Values);
                    Assert.Equal(whole.RowIds, lean.RowIds);
                    Assert.Equal(whole.Labels, lean.Labels);
                    Assert.Equal(whole.RawRows, lean.RawRows);
                    Assert.Null(lean.Raw);
                    var raw = whole.Raw!;
                    var compact = lean.CompactRaw!;
                    for (var r = 0; r < lean.Rows; r++)
                        for (var c = 0; c < raw.Columns.Count; c++)
                        {
                            if (raw.Numbers[c] is { } n)
                                Assert.Equal(BitConverter.DoubleToInt64Bits(n[whole.RawRows[r]]), BitConverter.DoubleToInt64Bits(compact.Number(r, c)));
                            else
                                Assert.Equal(raw.Texts[c]![whole.RawRows[r]], compact.Text(r, c));
                        }
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
