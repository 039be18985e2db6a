namespace DistGmm.Data.Tests;

/// <summary>Finite values near double.MaxValue: statistics stay finite, features finite or refused naming the column.</summary>
public sealed class ExtremeValueTests
{
    private static readonly string[] KddLines = TestData.ReadLines(TestData.Fixture("kdd_head20.txt")).Take(3).ToArray();

    /// <summary>The first KDD lines with their src_bytes (field 5) replaced.</summary>
    private static string Kdd(params string[] srcBytes) => string.Concat(KddLines.Zip(srcBytes, (line, value) =>
    {
        var fields = line.Split(',');
        fields[4] = value;
        return string.Join(',', fields) + "\n";
    }));

    [Fact]
    public void Ingest_summarises_two_values_of_1e308_with_a_finite_mean()
    {
        var dir = TestData.TempDir();
        var input = TestData.WriteText(dir, "huge.csv", Kdd("1e308", "1e308", "0"));
        var result = Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 2));
        var src = DatasetManifest.Load(Path.Combine(dir, "ds")).ColumnSummaries.Single(c => c.Name == "src_bytes");
        Assert.Equal((0.0, 1e308), (src.Min, src.Max));
        // 2e308 / 3 rounded once: the same as (1e308 / 3) · 2, binary scaling being exact.
        Assert.Equal(1e308 / 3 * 2, src.Mean);
        Assert.Equal(3, result.Manifest.TotalRows);
    }

    [Fact]
    public void Overflow_safe_sums_are_the_plain_sums_until_they_would_overflow()
    {
        var sum = new OverflowSafeSum();
        double[] values = [0.1, 0.2, double.NaN, 0.3];
        sum.Commit(sum.Running + 0.1 + 0.2 + 0.3, values, [0, 1, 2, 3]);
        Assert.Equal((0.1 + 0.2 + 0.3) / 3, sum.Mean(3));
        var huge = new OverflowSafeSum();
        huge.AddPartial(double.MaxValue, [double.MaxValue, double.NaN]);
        huge.AddPartial(double.MaxValue, [double.MaxValue]); // the sum would overflow: kept scaled from here
        Assert.Equal(double.MaxValue, huge.Mean(2));
        huge.AddPartial(-1e308, [-1e308]);
        Assert.Equal((double.MaxValue - 5e307) / 3 * 2, huge.Mean(3), 1e294); // (2·max − 1e308) / 3
    }

    [Fact]
    public void A_failed_publish_leaves_neither_shards_nor_a_manifest()
    {
        var dir = TestData.TempDir();
        var input = TestData.WriteText(dir, "k.csv", Kdd("1", "2", "3"));
        var output = Path.Combine(dir, "ds");
        // A folder where the manifest's temporary file goes makes the last step of publishing fail.
        Directory.CreateDirectory(Path.Combine(output, DatasetManifest.FileName + ".tmp"));
        Assert.ThrowsAny<SystemException>(() => Ingestion.Ingest(new IngestOptions(input, output, Shards: 2)));
        Assert.Equal([DatasetManifest.FileName + ".tmp"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));
        Assert.Equal(["ds", "k.csv"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order()); // no staging left
    }

    [Fact]
    public void Log1p_of_any_finite_value_is_finite()
    {
        Assert.Equal(Math.Log(1e308), Preprocessor.LogOnePlus(1e308));
        Assert.Equal(Math.Log(double.MaxValue), Preprocessor.LogOnePlus(double.MaxValue));
        Assert.Equal(1e-300, Preprocessor.LogOnePlus(1e-300)); // tiny values keep full precision
        Assert.Equal(Math.Log(1 + 1e5) * 1e5 / (1 + 1e5 - 1), Preprocessor.LogOnePlus(1e5)); // ordinary ones unchanged
    }

    [Fact]
    public void The_kdd_wide_steps_turn_1e308_into_finite_features()
    {
        var batch = TestData.Batch(("src_bytes", new double?[] { 0, 1e308, 5, 1e308 }), ("proto", new string?[] { "tcp", "udp", "tcp", "tcp" }));
        var spec = new PreprocessingSpec(Missing: MissingStrategy.Median, Encoding: CategoricalEncoding.OneHot,
            Scaling: Scaling.Standard, Log1pColumns: ["src_bytes"]);
        var features = TestData.TransformAll(TestData.Fit(batch, spec), batch);
        Assert.All(features.Cast<double>(), v => Assert.True(double.IsFinite(v), $"{v}"));
        Assert.Equal(features[1, 0], features[3, 0]);
        Assert.True(features[1, 0] > 0.9 && features[0, 0] < -0.9);
    }

    [Fact]
    public void Standard_scaling_of_raw_values_of_1e308_is_exact()
    {
        var batch = TestData.Batch(("x", new double?[] { 1e308, 1e308, 0, 0 }));
        var fitted = TestData.Fit(batch, new PreprocessingSpec(Scaling: Scaling.Standard));
        Assert.Equal((5e307, 5e307), (fitted.Columns[0].Center, fitted.Columns[0].Divisor));
        Assert.Equal(new double[,] { { 1 }, { 1 }, { -1 }, { -1 } }, TestData.TransformAll(fitted, batch));
    }

    [Fact]
    public void Min_max_scaling_of_values_near_both_ends_of_double_stays_in_0_1()
    {
        var batch = TestData.Batch(("x", new double?[] { 1e308, -1e308, 0 }));
        var features = TestData.TransformAll(TestData.Fit(batch, new PreprocessingSpec(Scaling: Scaling.MinMax)), batch);
        Assert.Equal(1, features[0, 0], 1e-12);
        Assert.Equal(0, features[1, 0], 1e-12);
        Assert.Equal(0.5, features[2, 0], 1e-12);
    }

    [Fact]
    public void Mean_imputation_of_values_of_1e308_is_finite()
    {
        var batch = TestData.Batch(("x", new double?[] { 1e308, 1e308, null, 0 }));
        var fitted = TestData.Fit(batch, new PreprocessingSpec(Missing: MissingStrategy.Mean, Scaling: Scaling.MinMax));
        Assert.Equal(1e308 / 3 * 2, fitted.Columns[0].ImputeNumber);
    }

    [Fact]
    public void Unscaled_features_beyond_1e100_are_refused_naming_every_such_column()
    {
        var batch = TestData.Batch(("duration", new double?[] { 0, 1e100 }), ("src_bytes", new double?[] { 1e308, 0 }),
            ("dst_bytes", new double?[] { 0, -1e101 }), ("count", new double?[] { 1e308, 2 }));
        var e = Assert.Throws<DataFormatException>(() => TestData.Fit(batch, PreprocessingSpec.Preset("none")));
        Assert.Equal("columns 'src_bytes' (up to 1E+308), 'dst_bytes' (up to 1E+101), 'count' (up to 1E+308) after " +
                     "preprocessing 'none': values too large to model (beyond 1e100 the squares a Gaussian's variance sums " +
                     "overflow); log1p them (as --preset kdd-wide does), scale them or drop them", e.Message);
        // log1p'd, the same values are modelled.
        var logged = TestData.Fit(batch, PreprocessingSpec.Preset("none") with { Log1pColumns = ["src_bytes", "count"], DropColumns = ["dst_bytes"] });
        Assert.All(TestData.TransformAll(logged, batch).Cast<double>(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Log1p_of_minus_one_is_refused_naming_the_row()
    {
        var batch = TestData.Batch(("x", new double?[] { 0, -1 }));
        var e = Assert.Throws<DataFormatException>(() => TestData.Fit(batch, new PreprocessingSpec(Scaling: Scaling.MinMax, Log1pColumns: ["x"])));
        Assert.Equal("column 'x', rowId 1: -1 is outside log1p's domain (it needs values > -1)", e.Message);
    }
}
