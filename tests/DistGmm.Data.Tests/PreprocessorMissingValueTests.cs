namespace DistGmm.Data.Tests;

/// <summary>Each missing-value strategy on data with injected gaps, against values computed by hand.</summary>
public sealed class PreprocessorMissingValueTests
{
    // a: 1, 2, _, 4, 10    b: 5, _, 7, 7, 1    (row 2 lacks a, row 1 lacks b)
    private static ColumnBatch Gappy() => TestData.Batch(
        ("a", new double?[] { 1, 2, null, 4, 10 }),
        ("b", new double?[] { 5, null, 7, 7, 1 }),
        ("p", new string?[] { "tcp", "udp", "tcp", "icmp", "tcp" }),
        ("label", new string?[] { "normal", "normal", "smurf", "normal", "smurf" }));

    private static PreprocessingSpec Raw(MissingStrategy missing) =>
        new(Missing: missing, Scaling: Scaling.None, Encoding: CategoricalEncoding.Label);

    [Fact]
    public void DropRows_keeps_complete_rows_and_counts_the_dropped()
    {
        var batch = Gappy();
        var pre = TestData.Fit(batch, Raw(MissingStrategy.DropRows));
        // Categories come from the kept rows (0, 3, 4): icmp = 0, tcp = 1.
        Assert.Equal(new double[,] { { 1, 5, 1 }, { 4, 7, 0 }, { 10, 1, 1 } }, TestData.TransformAll(pre, batch));
        Assert.Equal(5, pre.Report.FitRows);
        Assert.Equal(2, pre.Report.FitRowsDropped);
        Assert.Equal(new[] { "icmp", "tcp" }, pre.Columns[2].Categories);
        var rows = pre.SelectRows(batch, null, out var dropped);
        Assert.Equal(new[] { 0, 3, 4 }, rows);
        Assert.Equal(2, dropped);
    }

    [Fact]
    public void Mean_imputes_the_mean_of_the_present_values()
    {
        var batch = Gappy();
        var pre = TestData.Fit(batch, Raw(MissingStrategy.Mean));
        var x = TestData.TransformAll(pre, batch);
        Assert.Equal(17.0 / 4, x[2, 0]); // (1 + 2 + 4 + 10) / 4
        Assert.Equal(20.0 / 4, x[1, 1]); // (5 + 7 + 7 + 1) / 4
        Assert.Equal(1, x[0, 0]);
        Assert.Equal(5, x.GetLength(0));
    }

    [Fact]
    public void Median_is_exact_and_averages_the_two_middle_values()
    {
        var batch = Gappy();
        var pre = TestData.Fit(batch, Raw(MissingStrategy.Median));
        var x = TestData.TransformAll(pre, batch);
        Assert.Equal(3.0, x[2, 0]); // 1 2 | 4 10 → (2 + 4) / 2
        Assert.Equal(6.0, x[1, 1]); // 1 5 | 7 7 → (5 + 7) / 2
        Assert.Equal(7.0, Preprocessor.Median(new() { [1] = 1, [7] = 3, [9] = 1 }, 5));
    }

    [Fact]
    public void Mode_takes_the_most_frequent_value_and_the_smallest_on_ties()
    {
        var batch = Gappy();
        var pre = TestData.Fit(batch, Raw(MissingStrategy.Mode));
        var x = TestData.TransformAll(pre, batch);
        Assert.Equal(1.0, x[2, 0]); // 1, 2, 4, 10 all once → the smallest
        Assert.Equal(7.0, x[1, 1]); // 7 twice
    }

    [Fact]
    public void Missing_categories_are_imputed_with_the_mode()
    {
        var batch = TestData.Batch(
            ("a", new double?[] { 1, 2, 3, 4 }),
            ("p", new string?[] { "udp", null, "udp", "tcp" }));
        var pre = TestData.Fit(batch, Raw(MissingStrategy.Mean));
        var x = TestData.TransformAll(pre, batch);
        Assert.Equal(1.0, x[1, 1]); // udp (code 1 of tcp, udp)
        Assert.Equal(1, pre.Report.ValuesImputedAtTransform);
    }

    [Fact]
    public void Knn_imputes_the_mean_of_the_k_nearest_complete_rows()
    {
        var batch = Gappy();
        var pre = TestData.Fit(batch, Raw(MissingStrategy.Knn) with { KnnNeighbors = 2 });
        var x = TestData.TransformAll(pre, batch);
        // Reference = complete rows 0 (1,5), 3 (4,7), 4 (10,1); ranges a: 9, b: 6.
        // Row 1 (2, _): distances over a: 1/81, 4/81, 64/81 → rows 0, 3 → b = (5 + 7) / 2.
        Assert.Equal(6.0, x[1, 1]);
        // Row 2 (_, 7): distances over b: 4/36, 0, 36/36 → rows 3, 0 → a = (4 + 1) / 2.
        Assert.Equal(2.5, x[2, 0]);
        Assert.Equal(3, pre.Knn!.Rows.Length);
        Assert.Equal(new[] { 9.0, 6.0 }, pre.Knn.Ranges);
    }

    [Theory]
    [InlineData(3, 50)]
    [InlineData(150, 200)] // k beyond the stack-allocated fast path
    public void Knn_matches_a_brute_force_search_over_its_seeded_reference_sample(int k, int referenceRows)
    {
        var random = new Random(7);
        const int rows = 400, cols = 4;
        var values = new double?[cols][];
        for (var c = 0; c < cols; c++)
            values[c] = Enumerable.Range(0, rows).Select(_ => random.NextDouble() < 0.1 ? (double?)null : Math.Round(random.NextDouble() * 100 * (c + 1), 1)).ToArray();
        var batch = TestData.Batch(Enumerable.Range(0, cols).Select(c => ($"x{c}", (object)values[c])).ToArray());
        var spec = Raw(MissingStrategy.Knn) with { KnnNeighbors = k, KnnReferenceRows = referenceRows, Seed = 11 };
        var pre = TestData.Fit(batch, spec);

        var reference = pre.Knn!.Rows;
        Assert.Equal(referenceRows, reference.Length);
        var complete = Enumerable.Range(0, rows).Where(r => values.All(col => col[r] is not null))
            .Select(r => string.Join(",", values.Select(col => col[r]))).ToHashSet();
        Assert.All(reference, row => Assert.Contains(string.Join(",", row), complete));
        Assert.Equal(pre.Knn.Rows.Select(r => string.Join(",", r)),
            TestData.Fit(batch, spec).Knn!.Rows.Select(r => string.Join(",", r))); // seeded: the same sample again

        var ranges = Enumerable.Range(0, cols).Select(j => reference.Max(r => r[j]) - reference.Min(r => r[j])).ToArray();
        var x = TestData.TransformAll(pre, batch);
        var checkedRows = 0;
        for (var r = 0; r < rows; r++)
        {
            var query = values.Select(col => col[r]).ToArray();
            if (query.All(v => v is not null)) continue;
            var nearest = Enumerable.Range(0, reference.Length)
                .Select(i => (Index: i, Distance: Enumerable.Range(0, cols).Where(j => query[j] is not null)
                    .Sum(j => Math.Pow((query[j]!.Value - reference[i][j]) / ranges[j], 2))))
                .OrderBy(p => p.Distance).ThenBy(p => p.Index).Take(k).ToList();
            for (var j = 0; j < cols; j++)
            {
                var expected = query[j] ?? nearest.Aggregate(0.0, (sum, n) => sum + reference[n.Index][j]) / k;
                Assert.Equal(expected, x[r, j], 12);
            }
            checkedRows++;
        }
        Assert.True(checkedRows > 50);
    }

    [Fact]
    public void Columns_over_the_missing_threshold_are_dropped_and_reported()
    {
        var batch = TestData.Batch(
            ("a", new double?[] { 1, 2, 3, 4, 5 }),
            ("c", new double?[] { null, null, null, 1, 2 }),
            ("d", new double?[] { 1, null, 3, 4, 5 }));
        var pre = TestData.Fit(batch, Raw(MissingStrategy.DropRows) with { DropColumnsMissingAbove = 0.5 });
        Assert.Equal(new[] { "a", "d" }, pre.FeatureNames);
        var dropped = Assert.Single(pre.Report.DroppedColumns);
        Assert.Equal("c", dropped.Column);
        Assert.Contains("60.00", dropped.Reason);
        Assert.Equal(new double[,] { { 1, 1 }, { 3, 3 }, { 4, 4 }, { 5, 5 } }, TestData.TransformAll(pre, batch));
        Assert.Equal(new long[] { 0, 3, 1 }, pre.Report.Missing.Select(m => m.Missing));
        Assert.Equal(0.6, pre.Report.Missing[1].Fraction);
    }

    [Fact]
    public void The_missing_matrix_holds_fractions_per_row_bin_and_column()
    {
        var a = Enumerable.Range(0, 400).Select(i => i < 200 ? (double?)null : i).ToArray();
        var batch = TestData.Batch(("a", a), ("b", Enumerable.Range(0, 400).Select(i => (double?)i).ToArray()));
        var pre = TestData.Fit(batch, Raw(MissingStrategy.Mean));
        var matrix = pre.Report.MissingMatrix!;
        Assert.Equal(2, matrix.RowsPerBin);
        Assert.Equal(200, matrix.Bins);
        Assert.Equal(1.0, matrix.Fractions[0]);
        Assert.Equal(0.0, matrix.Fractions[1]);
        Assert.Equal(0.0, matrix.Fractions[199 * 2]);
        Assert.Equal(200, pre.Report.Missing[0].Missing);
    }

    [Fact]
    public void Statistics_are_fitted_on_the_rows_the_label_filter_keeps()
    {
        var batch = Gappy();
        var pre = TestData.Fit(batch, Raw(MissingStrategy.Mean), label => label == "normal");
        Assert.Equal(3, pre.Report.FitRows);
        Assert.Equal(7.0 / 3, pre.Columns[0].ImputeNumber); // a over rows 0, 1, 3: (1 + 2 + 4) / 3
        Assert.Equal(6.0, pre.Columns[1].ImputeNumber);     // b over rows 0, 3: (5 + 7) / 2
    }
}
