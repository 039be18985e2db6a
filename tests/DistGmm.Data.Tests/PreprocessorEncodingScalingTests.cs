namespace DistGmm.Data.Tests;

public sealed class PreprocessorEncodingScalingTests
{
    private static PreprocessingSpec Spec(Scaling scaling, CategoricalEncoding encoding = CategoricalEncoding.Label) =>
        new(Missing: MissingStrategy.DropRows, Scaling: scaling, Encoding: encoding);

    [Fact]
    public void MinMax_maps_the_range_to_0_1_as_scikit_learn_computes_it()
    {
        var batch = TestData.Batch(("a", new double?[] { 1, 2, 3, 5 }), ("k", new double?[] { 3, 3, 3, 3 }));
        var pre = TestData.Fit(batch, Spec(Scaling.MinMax));
        Assert.Equal(new double[,] { { 0, 0 }, { 0.25, 0 }, { 0.5, 0 }, { 1, 0 } }, TestData.TransformAll(pre, batch));
        Assert.Equal(new[] { "k" }, pre.Report.ConstantColumns);
        Assert.Equal(0.25, pre.Columns[0].Scale);
        Assert.Equal(-0.25, pre.Columns[0].Offset);
        // A constant column divides by 1: a new value at scoring is its distance from the fitted constant.
        var later = TestData.Batch(("a", new double?[] { 9 }), ("k", new double?[] { 4 }));
        Assert.Equal(new double[,] { { 2, 1 } }, TestData.TransformAll(pre, later));
    }

    [Fact]
    public void Standard_uses_the_population_standard_deviation()
    {
        var batch = TestData.Batch(("a", new double?[] { 1, 2, 3, 4 }), ("k", new double?[] { 7, 7, 7, 7 }));
        var pre = TestData.Fit(batch, Spec(Scaling.Standard));
        var x = TestData.TransformAll(pre, batch);
        var std = Math.Sqrt(1.25); // mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4
        for (var r = 0; r < 4; r++)
        {
            Assert.Equal((r + 1 - 2.5) / std, x[r, 0], 15);
            Assert.Equal(0.0, x[r, 1]);
        }
        Assert.Equal(new[] { "k" }, pre.Report.ConstantColumns);
    }

    [Fact]
    public void ModeCentred_is_the_notebooks_x_minus_mode_over_sample_std()
    {
        var batch = TestData.Batch(("a", new double?[] { 1, 2, 2, 5 }));
        var pre = TestData.Fit(batch, Spec(Scaling.ModeCentred));
        var x = TestData.TransformAll(pre, batch);
        var std = Math.Sqrt(3); // mean 2.5, squared deviations sum 9, ddof 1 → 9 / 3
        Assert.Equal(2.0, pre.Columns[0].Center);
        Assert.Equal(new[] { -1 / std, 0, 0, 3 / std }, Enumerable.Range(0, 4).Select(r => x[r, 0]));
    }

    [Fact]
    public void Log1p_is_applied_before_scaling_on_the_chosen_columns()
    {
        var batch = TestData.Batch(("a", new double?[] { 0, Math.E - 1, Math.E * Math.E - 1 }), ("b", new double?[] { 0, 1, 2 }));
        var pre = TestData.Fit(batch, Spec(Scaling.None) with { Log1pColumns = ["a"] });
        var x = TestData.TransformAll(pre, batch);
        Assert.Equal(new[] { 0.0, 1, 2 }, Enumerable.Range(0, 3).Select(r => x[r, 0]), new Tolerance(1e-15));
        Assert.Equal(new[] { 0.0, 1, 2 }, Enumerable.Range(0, 3).Select(r => x[r, 1]));
        Assert.Equal(1e-20, Preprocessor.LogOnePlus(1e-20)); // accurate for tiny x, unlike log(1 + x)
        Assert.Equal(Math.Log(1e308), Preprocessor.LogOnePlus(1e308)); // finite for huge x (log·x would overflow)
        Assert.Equal(Math.Log(double.MaxValue), Preprocessor.LogOnePlus(double.MaxValue));
    }

    [Fact]
    public void Log1p_of_non_negative_columns_takes_counts_and_bytes_and_leaves_rates_and_signed_columns_linear()
    {
        var batch = TestData.Batch(
            ("bytes", new double?[] { 0, Math.E - 1, null, 400 }),   // ≥ 0, beyond 1 (a missing value does not count)
            ("rate", new double?[] { 0, 0.5, 1, 0.25 }),            // within [0, 1]
            ("delta", new double?[] { -2, 3, 5, 7 }),              // negative somewhere
            ("kind", new string?[] { "a", "b", "a", "b" }));
        var pre = TestData.Fit(batch, new PreprocessingSpec(Missing: MissingStrategy.Median, Scaling: Scaling.None, Log1pNonNegative: true));
        Assert.Equal(["bytes"], pre.Columns.Where(c => c.Log1p).Select(c => c.Name));
        var x = TestData.TransformAll(pre, batch);
        Assert.Equal(1.0, x[1, 0], 15);
        Assert.Equal(0.5, x[1, 1]);
        Assert.Equal(3.0, x[1, 2]);
    }

    [Fact]
    public void Max_categories_drops_an_address_column_by_name_in_the_report_and_keeps_the_others()
    {
        var rows = 300;
        var batch = TestData.Batch(
            ("ip", Enumerable.Range(0, rows).Select(i => (string?)$"10.0.{i / 256}.{i % 256}").ToArray()),
            ("proto", Enumerable.Range(0, rows).Select(i => (string?)(i % 3 == 0 ? "udp" : "tcp")).ToArray()),
            ("bytes", Enumerable.Range(0, rows).Select(i => (double?)i).ToArray()));
        var spec = new PreprocessingSpec(Missing: MissingStrategy.Median, Encoding: CategoricalEncoding.OneHot, Scaling: Scaling.None, MaxCategories: 100);
        var pre = TestData.Fit(batch, spec);
        Assert.Equal(["proto", "bytes"], pre.Columns.Select(c => c.Name));
        var dropped = Assert.Single(pre.Report.DroppedColumns);
        Assert.Equal(new DroppedColumn("ip", "more than 100 categories (an address, a time or an id, not a feature)"), dropped);
        Assert.True(dropped.ByData);
        Assert.False(new DroppedColumn("service", DroppedColumn.BySpec).ByData);
        // Without the limit the same table fits the address too (one feature per value); the others are unchanged.
        var all = TestData.Fit(batch, spec with { MaxCategories = null });
        Assert.Equal(300 + 2 + 1, all.OutputDimension);
        Assert.Equal(pre.Columns[1], all.Columns[2] with { OutputOffset = 2 });
    }

    [Fact]
    public void A_table_one_hot_encoded_past_4096_features_is_refused_naming_its_widest_columns()
    {
        var batch = TestData.Batch(
            ("flow_id", Enumerable.Range(0, 5000).Select(i => (string?)$"flow-{i}").ToArray()),
            ("bytes", Enumerable.Range(0, 5000).Select(i => (double?)i).ToArray()));
        var e = Assert.Throws<DataFormatException>(() => TestData.Fit(batch,
            new PreprocessingSpec(Name: "wide", Missing: MissingStrategy.Median, Encoding: CategoricalEncoding.OneHot)));
        Assert.Equal("preprocessing 'wide' makes 5,001 features, more than 4,096 a Gaussian mixture can be fitted on " +
                     "('flow_id' 5,000 categories): drop such columns (maxCategories or dropColumns in a preprocessing JSON file, " +
                     "or \"ignored\" in a schema file)", e.Message);
    }

    [Fact]
    public void Label_encoding_uses_sorted_categories_and_reserves_a_code_for_unseen_ones()
    {
        var fit = TestData.Batch(("p", new string?[] { "udp", "tcp", "icmp", "tcp" }));
        var pre = TestData.Fit(fit, Spec(Scaling.None));
        Assert.Equal(new double[,] { { 2 }, { 1 }, { 0 }, { 1 } }, TestData.TransformAll(pre, fit));
        var later = TestData.Batch(("p", new string?[] { "sctp", "tcp", "sctp" }));
        Assert.Equal(new double[,] { { 3 }, { 1 }, { 3 } }, TestData.TransformAll(pre, later));
        Assert.Equal(2, pre.Report.UnseenCategories["p"]["sctp"]);
    }

    [Fact]
    public void One_hot_gives_one_column_per_category_and_all_zeros_for_an_unseen_one()
    {
        var fit = TestData.Batch(("a", new double?[] { 1, 3 }), ("p", new string?[] { "udp", "icmp" }), ("label", new string?[] { "x", "y" }));
        var pre = TestData.Fit(fit, Spec(Scaling.MinMax, CategoricalEncoding.OneHot));
        Assert.Equal(new[] { "a", "p=icmp", "p=udp" }, pre.FeatureNames);
        Assert.Equal(3, pre.OutputDimension);
        var later = TestData.Batch(("a", new double?[] { 2, 1 }), ("p", new string?[] { "gre", "udp" }), ("label", new string?[] { "x", "y" }));
        Assert.Equal(new double[,] { { 0.5, 0, 0 }, { 0, 0, 1 } }, TestData.TransformAll(pre, later));
        Assert.Equal(1, pre.Report.UnseenCategoryCount);
    }

    [Fact]
    public void A_label_encoded_column_is_scaled_like_a_number()
    {
        var batch = TestData.Batch(("p", new string?[] { "icmp", "tcp", "udp", "tcp" }));
        var pre = TestData.Fit(batch, Spec(Scaling.MinMax));
        Assert.Equal(new double[,] { { 0 }, { 0.5 }, { 1 }, { 0.5 } }, TestData.TransformAll(pre, batch));
    }

    [Fact]
    public void Json_round_trip_transforms_identically()
    {
        var random = new Random(3);
        var n = 300;
        var batch = TestData.Batch(
            ("a", Enumerable.Range(0, n).Select(_ => random.NextDouble() < 0.05 ? (double?)null : random.NextDouble() * 1e6).ToArray()),
            ("b", Enumerable.Range(0, n).Select(_ => (double?)random.Next(5)).ToArray()),
            ("p", Enumerable.Range(0, n).Select(_ => new[] { "tcp", "udp", "icmp", null }[random.Next(4)]).ToArray()),
            ("label", Enumerable.Range(0, n).Select(_ => "normal").ToArray()));
        foreach (var spec in new[]
                 {
                     new PreprocessingSpec(Missing: MissingStrategy.Knn, KnnReferenceRows: 40, Encoding: CategoricalEncoding.OneHot, Scaling: Scaling.Standard, Log1pColumns: ["a"]),
                     new PreprocessingSpec(Missing: MissingStrategy.Median, Scaling: Scaling.ModeCentred),
                     new PreprocessingSpec(Missing: MissingStrategy.DropRows, Scaling: Scaling.MinMax),
                 })
        {
            var pre = TestData.Fit(batch, spec);
            var json = pre.ToJson();
            var back = Preprocessor.FromJson(json);
            Assert.Equal(pre.FeatureNames, back.FeatureNames);
            Assert.Equal(TestData.TransformAll(pre, batch), TestData.TransformAll(back, batch));
            Assert.Equal(json, back.ToJson());
        }
    }

    [Fact]
    public void Bad_preprocessor_json_fails_clearly()
    {
        var e = Assert.Throws<FormatException>(() => Preprocessor.FromJson("{\"format\": \"something-else\", \"version\": 1}"));
        Assert.Contains("not a preprocessor", e.Message);
        Assert.Throws<FormatException>(() => Preprocessor.FromJson("{ nope"));
    }

    [Fact]
    public void Presets_are_data_and_unknown_names_are_listed()
    {
        var seed = PreprocessingSpec.Preset("seed");
        Assert.Equal(new[] { "service", "flag" }, seed.DropColumns);
        Assert.Equal(Scaling.MinMax, seed.Scaling);
        Assert.Equal(CategoricalEncoding.Label, seed.Encoding);
        var wide = PreprocessingSpec.Preset("kdd-wide");
        Assert.Equal(CategoricalEncoding.OneHot, wide.Encoding);
        Assert.Equal(Scaling.Standard, wide.Scaling);
        Assert.Contains("src_bytes", wide.Log1pColumns!);
        Assert.Equal(Scaling.None, PreprocessingSpec.Preset("none").Scaling);
        var e = Assert.Throws<ArgumentException>(() => PreprocessingSpec.Preset("nope"));
        Assert.Contains("seed, kdd-wide, generic, none", e.Message);
        var generic = PreprocessingSpec.Preset("generic");
        Assert.True(generic.Log1pNonNegative);
        Assert.True(PreprocessingSpec.FromJson(generic.ToJson()).Log1pNonNegative);
        Assert.Equal(100, PreprocessingSpec.FromJson(generic.ToJson()).MaxCategories);
        Assert.DoesNotContain("maxCategories", seed.ToJson()); // older specs serialise as they did
        Assert.Equal(wide.Log1pColumns, PreprocessingSpec.FromJson(wide.ToJson()).Log1pColumns);
    }

    [Fact]
    public void A_spec_naming_unknown_columns_fails_listing_them()
    {
        var batch = TestData.Batch(("a", new double?[] { 1, 2 }));
        var e = Assert.Throws<DataFormatException>(() => TestData.Fit(batch, PreprocessingSpec.Preset("seed")));
        Assert.Contains("service, flag", e.Message);
    }
}

internal sealed class Tolerance(double epsilon) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;
    public int GetHashCode(double obj) => 0;
}
