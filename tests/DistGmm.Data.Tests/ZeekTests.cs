namespace DistGmm.Data.Tests;

/// <summary>Zeek's conn.log, the connection records security teams keep: roles from #types, '-' and '(empty)' missing.</summary>
public sealed class ZeekTests
{
    private static readonly string Conn = TestData.Fixture("zeek_conn.log");

    [Fact]
    public void A_conn_log_reads_with_roles_from_its_types()
    {
        var (batch, format) = SourceReading.ReadAll(Conn);
        Assert.Equal(SourceFormat.Zeek, format);
        Assert.Equal(4, batch.Count);
        // time, addresses, the connection id and sets are not features; ports name services: categorical.
        Assert.Equal(new[]
        {
            ("id.orig_p", ColumnRole.Categorical), ("id.resp_p", ColumnRole.Categorical), ("proto", ColumnRole.Categorical),
            ("service", ColumnRole.Categorical), ("duration", ColumnRole.Numeric), ("orig_bytes", ColumnRole.Numeric),
            ("resp_bytes", ColumnRole.Numeric), ("conn_state", ColumnRole.Categorical), ("local_orig", ColumnRole.Categorical),
            ("local_resp", ColumnRole.Categorical), ("missed_bytes", ColumnRole.Numeric), ("history", ColumnRole.Categorical),
            ("orig_pkts", ColumnRole.Numeric), ("orig_ip_bytes", ColumnRole.Numeric), ("resp_pkts", ColumnRole.Numeric),
            ("resp_ip_bytes", ColumnRole.Numeric),
        }, batch.Columns.Select(c => (c.Name, c.Role)));
        var column = batch.Columns.Select(c => c.Name).ToList();
        Assert.Equal(new[] { 0.532101, 0.001203, double.NaN, 1.25 }, batch.Numbers[column.IndexOf("duration")]!.Take(4)); // '-': unset
        Assert.Equal(new[] { 4821.0, 50, double.NaN, 12000 }, batch.Numbers[column.IndexOf("resp_bytes")]!.Take(4));
        Assert.Equal(new[] { "ssl", "dns", null, "http" }, batch.Texts[column.IndexOf("service")]!.Take(4));
        Assert.Equal(new[] { "443", "53", "22", "80" }, batch.Texts[column.IndexOf("id.resp_p")]!.Take(4));
        Assert.Null(batch.Labels);
    }

    [Fact]
    public void Concatenated_logs_repeat_their_header_and_logs_of_another_kind_are_refused()
    {
        var dir = TestData.TempDir();
        var text = File.ReadAllText(Conn);
        var twice = TestData.WriteText(dir, "twice.log", text + text);
        var (batch, _) = SourceReading.ReadAll(twice);
        Assert.Equal(8, batch.Count);

        var lines = text.Split('\n');
        var other = string.Join("\n", lines.Select(l => l.StartsWith("#fields", StringComparison.Ordinal) ? l.Replace("\ttunnel_parents", "\tparents") : l));
        var mixed = TestData.WriteText(dir, "mixed.log", text + other);
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(mixed));
        Assert.Equal($"{mixed}: line 20, column 1: Zeek log: this #fields line lists other fields than the header's " +
                     "(logs of different kinds concatenated?)", e.Message);
    }

    [Fact]
    public void A_label_column_is_the_label_and_a_bad_number_is_named_by_line_and_column()
    {
        var dir = TestData.TempDir();
        var lines = File.ReadAllLines(Conn).ToList();
        lines = [.. lines.Select(l => l.StartsWith("#fields", StringComparison.Ordinal) ? l + "\tlabel"
            : l.StartsWith("#types", StringComparison.Ordinal) ? l + "\tstring"
            : l.StartsWith('#') ? l : l + "\tBenign")];
        var labelled = TestData.WriteText(dir, "labelled.log", string.Join("\n", lines));
        var (batch, _) = SourceReading.ReadAll(labelled);
        Assert.Equal(new[] { "Benign", "Benign", "Benign", "Benign" }, batch.Labels!.Take(4));

        lines[9] = lines[9].Replace("\t0.001203\t", "\t0.00x\t");
        var bad = TestData.WriteText(dir, "bad.log", string.Join("\n", lines));
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(bad));
        Assert.Equal($"{bad}: line 10, column 9: '0.00x' in numeric column 'duration' is not a number", e.Message);
    }

    [Fact]
    public void A_header_without_fields_or_with_a_bad_separator_is_refused()
    {
        var dir = TestData.TempDir();
        var noFields = TestData.WriteText(dir, "a.log", "#separator \\x09\n#path\tconn\n1\t2\n");
        Assert.Equal($"{noFields}: Zeek log: the header has no #fields line",
            Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(noFields)).Message);
        var wide = TestData.WriteText(dir, "b.log", "#separator tab\n#fields\ta\n1\n");
        Assert.Equal($"{wide}: line 1: Zeek log: separator 'tab' is not one byte (e.g. \\x09)",
            Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(wide)).Message);
    }
}
