namespace DistGmm.Data.Tests;

/// <summary>ARFF input (NSL-KDD ships <c>KDDTrain+.arff</c> beside its CSV): header, roles, comments, quotes, errors.</summary>
public sealed class ArffTests
{
    /// <summary>The first <paramref name="rows"/> KDD lines as NSL-KDD's ARFF writes them: quoted names, nominal types, binary class.</summary>
    private static string KddArff(IReadOnlyList<string> lines)
    {
        var header = new List<string> { "% NSL-KDD style", "", "@relation 'KDDTrain'" };
        foreach (var name in KddSchema.FeatureNames)
            header.Add(name switch
            {
                "protocol_type" => "@attribute 'protocol_type' {'tcp','udp', 'icmp'}",
                "land" or "logged_in" => $"@attribute '{name}' {{'0', '1'}}",
                _ => $"@ATTRIBUTE '{name}' real",
            });
        header.Add("@attribute 'class' {'normal', 'anomaly'}");
        header.Add("@data");
        var rows = lines.Select((line, i) =>
        {
            var fields = line.Split(',');
            fields[41] = fields[41] == "normal." ? "normal" : "anomaly";
            if (i == 1) fields[2] = $"'{fields[2]}'"; // a quoted value reads as the bare one
            return string.Join(",", fields);
        }).ToList();
        rows.Insert(2, "% a comment between rows");
        rows.Insert(3, "");
        return string.Join("\n", header.Concat(rows)) + "\n";
    }

    [Fact]
    public void A_kdd_arff_reads_as_its_csv_does_with_the_kdd_roles_and_its_class_as_the_label()
    {
        var dir = TestData.TempDir();
        var lines = TestData.ReadLines(TestData.Fixture("kdd_head20.txt")).ToList();
        var path = TestData.WriteText(dir, "train.arff", KddArff(lines));
        var (csv, _) = SourceReading.ReadAll(TestData.Fixture("kdd_head20.txt"));
        var (arff, format) = SourceReading.ReadAll(path);

        Assert.Equal(SourceFormat.Arff, format);
        // Declared nominal, land and logged_in still get the KDD roles, so both files preprocess alike.
        Assert.Equal([.. KddSchema.Columns.Take(41), new ColumnInfo("class", ColumnRole.Label)], arff.Columns);
        Assert.Equal(20, arff.Count);
        for (var c = 0; c < 41; c++)
        {
            if (csv.Numbers[c] is { } numbers) Assert.Equal(numbers.Take(20), arff.Numbers[c]!.Take(20));
            else Assert.Equal(csv.Texts[c]!.Take(20), arff.Texts[c]!.Take(20));
        }
        Assert.Equal(csv.Labels!.Take(20).Select(l => l == "normal" ? "normal" : "anomaly"), arff.Labels!.Take(20));
    }

    [Fact]
    public void A_non_kdd_arff_takes_its_roles_from_the_declared_types()
    {
        var dir = TestData.TempDir();
        var path = TestData.WriteText(dir, "flows.arff", """
            @RELATION flows
            @attribute bytes NUMERIC
            @attribute "flow kind" {tcp,udp}
            @attribute host string
            @attribute seen date "yyyy-MM-dd"
            @attribute class{ok,bad}
            @DATA
            10,tcp,'a b',"2024-01-02",ok
            ?,udp,x,?,bad
            """);
        using (var source = TableSources.Open(path, null, BadRowPolicy.Fail, null))
            Assert.Equal([$"{path}: line 5: ARFF date attribute 'seen' is not used as a feature"], source.Warnings);
        var (batch, _) = SourceReading.ReadAll(path);
        Assert.Equal(new[]
        {
            new ColumnInfo("bytes", ColumnRole.Numeric), new ColumnInfo("flow kind", ColumnRole.Categorical),
            new ColumnInfo("host", ColumnRole.Categorical), new ColumnInfo("class", ColumnRole.Label),
        }, batch.Columns);
        Assert.Equal(new[] { 10, double.NaN }, batch.Numbers[0]!.Take(2));
        Assert.Equal(new[] { "a b", "x" }, batch.Texts[2]!.Take(2));
        Assert.Equal(new[] { "ok", "bad" }, batch.Labels!.Take(2));
    }

    [Theory]
    [InlineData("@relation r\n@attribute a numeric\n", "ARFF: the header has no @data line")]
    [InlineData("@relation r\n@attribute a numeric\n1\n", "line 3, column 1: ARFF: expected @attribute or @data, found '1'")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute b relational\n@data\n1,2\n",
        "line 3, column 14: ARFF: attribute 'b' has type 'relational', not numeric, real, integer, string, date or a nominal {…} list")]
    [InlineData("@relation r\n@attribute a\n@data\n1\n", "line 2, column 13: ARFF: attribute 'a' has no type")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute A numeric\n@attribute a real\n@data\n1,2,3\n",
        "line 4: ARFF: attribute 'a' is declared twice")]
    [InlineData("@relation r\nx,y\n@data\n", "line 2, column 1: ARFF: expected @attribute or @data, found 'x,y'")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n1,2\n{0 5, 1 6\n",
        "line 6, column 1: a sparse ARFF row's '{' is not closed by '}' on its line")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n{0 5, 2 6}\n",
        "line 5, column 2: sparse ARFF index 2: the header declares attributes 0 to 1")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n{1 5, 0 6}\n",
        "line 5, column 1: sparse ARFF index 0 after 1: indices must ascend")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n{0 5, 7}\n",
        "line 5, column 2: '7' in a sparse ARFF row is not 'index value'")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n{0 5, 1 x}\n",
        "line 5, column 2: 'x' in numeric column 'b' is not a number")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute host string\n@data\n{0 5}\n",
        "line 5, column 2: a sparse ARFF row omits string attribute 'host', which has no default: write its value")]
    [InlineData("@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n1,2\n3\n", "line 6, column 2: expected 2 fields, found 1")]
    public void A_bad_arff_fails_naming_the_line_and_what_is_wrong(string text, string expected)
    {
        var path = TestData.WriteText(TestData.TempDir(), "bad.arff", text);
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal($"{path}: {expected}", e.Message);
    }

    [Fact]
    public void Quoted_values_may_hold_commas_and_quotes()
    {
        var path = TestData.WriteText(TestData.TempDir(), "q.arff", """
            @relation notes
            @attribute bytes numeric
            @attribute note string
            @attribute class {ok, bad}
            @data
            1,'a, b',ok
            2, 'it\'s, fine' ,bad
            3,"c, d",ok
            4,plain,ok
            """);
        var (batch, _) = SourceReading.ReadAll(path);
        Assert.Equal(4, batch.Count);
        Assert.Equal(new[] { 1.0, 2, 3, 4 }, batch.Numbers[0]!.Take(4));
        // An escaped quote is kept as written (the same at training and scoring).
        Assert.Equal(new[] { "a, b", "it\\'s, fine", "c, d", "plain" }, batch.Texts[1]!.Take(4));
        Assert.Equal(new[] { "ok", "bad", "ok", "ok" }, batch.Labels!.Take(4));
    }

    [Fact]
    public void A_sparse_row_reads_as_the_dense_row_it_stands_for()
    {
        // Weka's sparse rows: an omitted numeric attribute is 0, an omitted nominal one its first declared value.
        const string header = """
            @relation flows
            @attribute bytes numeric
            @attribute kind {tcp, udp}
            @attribute host string
            @attribute seen date "yyyy-MM-dd"
            @attribute class {'ok, fine', bad}
            @data

            """;
        var dir = TestData.TempDir();
        var sparse = TestData.WriteText(dir, "sparse.arff", header + "{0 5, 2 x, 4 bad}\n{1 udp,2 'a b'}\n% a comment\n{ 0 ?, 2 \"y z\" }\n");
        var dense = TestData.WriteText(dir, "dense.arff", header + "5,tcp,x,?,bad\n0,udp,'a b',?,'ok, fine'\n?,tcp,y z,?,'ok, fine'\n");
        var (expected, _) = SourceReading.ReadAll(dense);
        var (actual, format) = SourceReading.ReadAll(sparse);
        Assert.Equal(SourceFormat.Arff, format);
        Assert.Equal(3, actual.Count);
        Assert.Equal(expected.Columns, actual.Columns);
        Assert.Equal(new[] { 5, 0, double.NaN }, actual.Numbers[0]!.Take(3));
        Assert.Equal(new[] { "tcp", "udp", "tcp" }, actual.Texts[1]!.Take(3));
        Assert.Equal(new[] { "x", "a b", "y z" }, actual.Texts[2]!.Take(3));
        Assert.Equal(new[] { "bad", "ok, fine", "ok, fine" }, actual.Labels!.Take(3));
        for (var c = 1; c < expected.Columns.Count; c++) Assert.Equal(expected.Texts[c]!.Take(3), actual.Texts[c]!.Take(3));
    }

    [Fact]
    public void Synthesizing_from_an_arff_keeps_its_header_and_drops_its_comments()
    {
        var dir = TestData.TempDir();
        var source = TestData.WriteText(dir, "train.arff", KddArff(TestData.ReadLines(TestData.Fixture("kdd_head20.txt")).ToList()));
        var result = Synthesizer.Synthesize(new SynthOptions(500, source, 4, Path.Combine(dir, "big.arff")));
        Assert.Equal(20, result.SourceRows);
        var (batch, format) = SourceReading.ReadAll(result.Out);
        Assert.Equal(SourceFormat.Arff, format);
        Assert.Equal(500, batch.Count);
        Assert.Equal(File.ReadLines(source).TakeWhile(l => l != "@data").Where(l => l != ""), File.ReadLines(result.Out).TakeWhile(l => l != "@data"));
    }

    [Fact]
    public void Blank_lines_before_a_csv_header_are_skipped_not_read_as_the_header()
    {
        var path = TestData.WriteText(TestData.TempDir(), "blank-first.csv", "\n\nbytes,kind\n1,tcp\n2,udp\n");
        var (batch, format) = SourceReading.ReadAll(path);
        Assert.Equal(SourceFormat.Csv, format);
        Assert.Equal(new[] { 1.0, 2 }, batch.Numbers[0]!.Take(2));
        Assert.Equal(2, batch.Count);
    }
}
