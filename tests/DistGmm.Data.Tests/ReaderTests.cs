using System.Globalization;

namespace DistGmm.Data.Tests;

public sealed class ReaderTests
{
    [Fact]
    public void Raw_kdd_lines_are_read_with_kdd_names_and_labels_without_the_dot()
    {
        var path = TestData.Fixture("kdd_head20.txt");
        var (batch, format) = SourceReading.ReadAll(path);
        Assert.Equal(SourceFormat.KddRaw, format);
        Assert.Equal(KddSchema.Columns, batch.Columns);
        Assert.Equal(20, batch.Count);
        var lines = TestData.ReadLines(path).ToList();
        for (var r = 0; r < lines.Count; r++)
        {
            var fields = lines[r].Split(',');
            for (var c = 0; c < 41; c++)
            {
                if (batch.Numbers[c] is { } numbers) Assert.Equal(double.Parse(fields[c], CultureInfo.InvariantCulture), numbers[r]);
                else Assert.Equal(fields[c], batch.Texts[c]![r]);
            }
            Assert.Equal(fields[41].TrimEnd('.'), batch.Labels![r]);
        }
        Assert.Same(batch.Texts[1]![0], batch.Texts[1]![1]); // categories are interned, not allocated per row
    }

    [Fact]
    public void The_notebook_csv_maps_its_lnum_names_to_kdd_names()
    {
        var (batch, format) = SourceReading.ReadAll(TestData.Head500Csv);
        Assert.Equal(SourceFormat.KddHeader, format);
        Assert.Equal(KddSchema.Columns.Select(c => c.Name), batch.Columns.Select(c => c.Name));
        Assert.Equal(499, batch.Count);
        Assert.Equal(181, batch.Numbers[4]![0]);
        Assert.Equal("normal", batch.Labels![0]);
        Assert.Equal("num_compromised", KddSchema.CanonicalName("lnum_compromised"));
        Assert.Equal("root_shell", KddSchema.CanonicalName("lroot_shell"));
        Assert.Equal("logged_in", KddSchema.CanonicalName("logged_in"));
    }

    [Fact]
    public void Nsl_kdd_files_are_recognised_and_their_difficulty_column_ignored()
    {
        var (batch, format) = SourceReading.ReadAll(TestData.Fixture("nsl_kdd_sample.txt"));
        Assert.Equal(SourceFormat.NslKdd, format);
        Assert.Equal(KddSchema.Columns, batch.Columns);
        Assert.Equal(new[] { "normal", "normal", "neptune", "normal", "normal" }, batch.Labels!.Take(5));
        Assert.Equal(0.0, batch.Numbers[40]![0]); // the last feature, not the difficulty
    }

    [Fact]
    public void Kdd_unlabelled_test_data_41_fields_reads_as_the_kdd_features_without_a_label()
    {
        var lines = TestData.ReadLines(TestData.Fixture("kdd_head20.txt")).Select(l => l[..l.LastIndexOf(',')]).ToList();
        var path = TestData.WriteText(TestData.TempDir(), "kddcup.testdata.unlabeled", string.Join("\n", lines) + "\n");
        var (batch, format) = SourceReading.ReadAll(path);
        Assert.Equal(SourceFormat.KddRaw, format);
        Assert.Equal(KddSchema.Columns.Take(41), batch.Columns);
        Assert.Null(batch.Labels);
        Assert.Equal(20, batch.Count);
        Assert.Equal(lines.Select(l => double.Parse(l.Split(',')[40], CultureInfo.InvariantCulture)), batch.Numbers[40]!.Take(20));
    }

    [Theory]
    [InlineData("attack")]
    [InlineData("outcome")]
    [InlineData("class")]
    public void A_kdd_header_csv_takes_its_label_by_any_label_name_and_ignores_the_difficulty_level(string labelName)
    {
        // NSL-KDD as CSV with a header (Kaggle's copies): the label named otherwise and a trailing difficulty level.
        var header = string.Join(",", KddSchema.FeatureNames) + $",{labelName},level";
        var rows = TestData.ReadLines(TestData.Fixture("nsl_kdd_sample.txt")).Take(5);
        var path = TestData.WriteText(TestData.TempDir(), "KDDTrain+.csv", header + "\n" + string.Join("\n", rows) + "\n");
        var (batch, format) = SourceReading.ReadAll(path);
        Assert.Equal(SourceFormat.KddHeader, format);
        Assert.Equal([.. KddSchema.Columns.Take(41), new ColumnInfo(labelName, ColumnRole.Label)], batch.Columns);
        Assert.Equal(new[] { "normal", "normal", "neptune", "normal", "normal" }, batch.Labels!.Take(5));
    }

    [Fact]
    public void Other_csvs_get_roles_inferred_and_missing_tokens_recognised()
    {
        var (batch, format) = SourceReading.ReadAll(TestData.Fixture("gaps.csv"));
        Assert.Equal(SourceFormat.Csv, format);
        Assert.Equal(new[]
        {
            new ColumnInfo("bytes", ColumnRole.Numeric), new ColumnInfo("kind", ColumnRole.Categorical),
            new ColumnInfo("rate", ColumnRole.Numeric), new ColumnInfo("class", ColumnRole.Label),
        }, batch.Columns);
        Assert.Equal(new[] { 10, double.NaN, 30, 40, 50 }, batch.Numbers[0]!.Take(5));             // ? → missing, "40" unquoted
        Assert.Equal(new[] { "tcp", "udp", null, "icmp", "tcp" }, batch.Texts[1]!.Take(5));       // blank → missing
        Assert.Equal(new[] { 0.5, double.NaN, double.NaN, double.NaN, 0.25 }, batch.Numbers[2]!.Take(5)); // NA, NaN, empty
    }

    [Fact]
    public void A_schema_file_overrides_roles_by_name()
    {
        var (batch, _) = SourceReading.ReadAll(TestData.Fixture("gaps.csv"), TestData.Fixture("gaps_schema.json"));
        Assert.Equal(new[]
        {
            new ColumnInfo("bytes", ColumnRole.Numeric), new ColumnInfo("kind", ColumnRole.Label),
            new ColumnInfo("class", ColumnRole.Categorical),
        }, batch.Columns);
        Assert.Equal("attack", batch.Texts[2]![1]);
    }

    [Fact]
    public void A_schema_file_names_the_columns_of_a_headerless_file()
    {
        var (batch, format) = SourceReading.ReadAll(TestData.Fixture("headerless.csv"), TestData.Fixture("headerless_schema.json"));
        Assert.Equal(SourceFormat.Csv, format);
        Assert.Equal(new[] { "u", "v", "tag" }, batch.Columns.Select(c => c.Name));
        Assert.Equal(new[] { 1.0, 3 }, batch.Numbers[0]!.Take(2));
        Assert.Equal(new[] { "x", "y" }, batch.Labels!.Take(2));
    }

    [Fact]
    public void Crlf_line_ends_and_a_missing_final_newline_are_fine()
    {
        var (batch, _) = SourceReading.ReadAll(TestData.Fixture("crlf_no_final_newline.csv"));
        Assert.Equal(2, batch.Count);
        Assert.Equal(new[] { 2.0, 4 }, batch.Numbers[2]!.Take(2));
        Assert.Equal("y", batch.Texts[1]![1]);
    }

    [Fact]
    public void An_unrecognisable_headerless_file_asks_for_a_schema()
    {
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(TestData.Fixture("headerless.csv")));
        Assert.Contains("headerless.csv: line 1", e.Message);
        Assert.Contains("schema file", e.Message);
    }

    [Fact]
    public void A_malformed_row_fails_naming_file_line_and_column()
    {
        var path = TestData.Fixture("bad3.txt");
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal(4, e.Line);
        Assert.Equal(42, e.Column);
        Assert.Equal($"{path}: line 4, column 42: expected 42 fields, found 41", e.Message);
    }

    [Fact]
    public void A_non_number_in_a_numeric_column_names_the_column()
    {
        var dir = TestData.TempDir();
        var lines = TestData.ReadLines(TestData.Fixture("kdd_head20.txt")).Take(3).ToList();
        lines[2] = lines[2].Replace("0,tcp,http,SF,", "0,tcp,http,SF,abc");
        var path = TestData.WriteText(dir, "bad.txt", string.Join("\n", lines));
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal($"{path}: line 3, column 5: 'abc{lines[2].Split(',')[4][3..]}' in numeric column 'src_bytes' is not a number", e.Message);
    }

    [Fact]
    public void Field_splitting_handles_quotes_and_empty_fields()
    {
        var line = "a,\"b,c\",,\"\"\"q\"\"\",e"u8.ToArray();
        var ranges = new Range[8];
        var count = Utf8Fields.Split(line, ranges);
        Assert.Equal(5, count);
        var fields = ranges.Take(count).Select(r => Utf8Fields.Decode(line.AsSpan()[r])).ToArray();
        Assert.Equal(new[] { "a", "b,c", "", "\"\"q\"\"", "e" }, fields);
        Assert.Equal(3, Utf8Fields.Split("x,,"u8, ranges));
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("?", true)]
    [InlineData("NA", true)]
    [InlineData("na", true)]
    [InlineData("NaN", true)]
    [InlineData("0", false)]
    [InlineData("NAN1", false)]
    public void Missing_tokens(string text, bool missing)
    {
        Assert.Equal(missing, Utf8Fields.IsMissing(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.Equal(missing, Utf8Fields.IsMissing(text));
    }

    [Fact]
    public void Labels_compare_equal_with_or_without_the_dot()
    {
        Assert.Equal("normal", KddSchema.NormalizeLabel("normal."));
        Assert.Equal("normal", KddSchema.NormalizeLabel(" normal "));
    }

    [Theory]
    [InlineData("normal.", true)]
    [InlineData("normal", true)]
    [InlineData("Normal", true)]   // UNSW-NB15's attack_cat
    [InlineData("BENIGN", true)]   // CIC-IDS2017
    [InlineData("Benign", true)]   // CSE-CIC-IDS2018
    [InlineData("0", true)]        // a binary 0/1 label
    [InlineData("1", false)]
    [InlineData("smurf.", false)]
    [InlineData("anomaly", false)] // NSL-KDD's ARFF
    [InlineData("DDoS", false)]
    [InlineData("abnormal", false)]
    public void Normal_traffic_is_named_normal_benign_or_0_in_any_case(string label, bool normal) =>
        Assert.Equal(normal, KddSchema.IsNormalLabel(label));
}

public sealed class NumberParsingTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("181")]
    [InlineData("0.05")]
    [InlineData("0.00")]
    [InlineData("-3.5")]
    [InlineData("+7")]
    [InlineData("-0")]
    [InlineData("007.250")]
    [InlineData("693375640")]
    [InlineData("123456789012345")]
    [InlineData("1234567890123456789")]
    [InlineData("0.1234567890123456789")]
    [InlineData("1e5")]
    [InlineData("2.5E-3")]
    [InlineData(".5")]
    [InlineData("5.")]
    public void Numbers_parse_exactly_as_double_Parse(string text)
    {
        Assert.True(Utf8Fields.TryParseNumber(System.Text.Encoding.UTF8.GetBytes(text), out var value));
        Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture)),
            BitConverter.DoubleToInt64Bits(value));
    }

    [Fact]
    public void Random_decimals_parse_exactly_as_double_Parse()
    {
        var random = new Random(5);
        for (var i = 0; i < 20_000; i++)
        {
            var text = (random.NextDouble() * Math.Pow(10, random.Next(-6, 12))).ToString("F" + random.Next(0, 9), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Utf8Fields.TryParseNumber(System.Text.Encoding.UTF8.GetBytes(text), out var value));
            Assert.Equal(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture), value);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData(".")]
    [InlineData("1.2.3")]
    [InlineData("12x")]
    [InlineData("Infinity")]
    [InlineData("tcp")]
    public void Non_numbers_are_rejected(string text) =>
        Assert.False(Utf8Fields.TryParseNumber(System.Text.Encoding.UTF8.GetBytes(text), out _));
}

public sealed class SchemaErrorTests
{
    [Fact]
    public void An_id_column_is_not_a_feature_and_attack_cat_beside_label_asks_which_is_the_label()
    {
        var dir = TestData.TempDir();
        // UNSW-NB15's layout: a row id, features, the attack category and a binary label.
        var path = TestData.WriteText(dir, "unsw.csv", "id,dur,proto,attack_cat,label\n1,0.5,tcp,Normal,0\n2,0.1,udp,Exploits,1\n");
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal($"{path}: more than one label column (attack_cat, label); mark all but one \"ignored\" in a schema file (--schema)", e.Message);
        var schema = TestData.WriteText(dir, "unsw.json", """{ "header": true, "columns": [ { "name": "label", "role": "ignored" } ] }""");
        var (batch, _) = SourceReading.ReadAll(path, schema);
        Assert.Equal(new[]
        {
            new ColumnInfo("dur", ColumnRole.Numeric), new ColumnInfo("proto", ColumnRole.Categorical),
            new ColumnInfo("attack_cat", ColumnRole.Label),
        }, batch.Columns);
    }

    [Fact]
    public void Infinity_keeps_a_column_numeric_and_its_row_is_refused_by_name()
    {
        // CIC-IDS2017's layout: spaces after the commas of the header, Infinity for the rate of a zero-length flow.
        var path = TestData.WriteText(TestData.TempDir(), "cic.csv",
            " Destination Port, Flow Duration, Flow Bytes/s, Label\n80,100,12.5,BENIGN\n80,0,Infinity,DDoS\n");
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal($"{path}: line 3, column 3: 'Infinity' in numeric column 'Flow Bytes/s' is not a finite number (a double holds up to ±1.8e308)",
            e.Message);
        using var source = TableSources.Open(path, null, BadRowPolicy.Fail, null);
        Assert.Equal(ColumnRole.Numeric, source.Columns.Single(c => c.Name == "Flow Bytes/s").Role);
    }

    [Fact]
    public void Two_label_columns_are_refused_naming_the_file()
    {
        var dir = TestData.TempDir();
        var path = TestData.WriteText(dir, "two.csv", "x,label,class\n1,a,b\n");
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal($"{path}: more than one label column (label, class); mark all but one \"ignored\" in a schema file (--schema)", e.Message);
    }

    [Fact]
    public void An_unknown_role_in_a_schema_file_is_named()
    {
        var dir = TestData.TempDir();
        var schema = TestData.WriteText(dir, "s.json", """{ "columns": [ { "name": "x", "role": "feature" } ] }""");
        var e = Assert.Throws<DataFormatException>(() => SchemaFile.Load(schema));
        Assert.Contains("column 'x': unknown role 'feature'", e.Message);
        Assert.StartsWith(schema, e.Message);
    }
}
