namespace DistGmm.Data.Tests;

/// <summary>JSON Lines (Zeek's JSON logs, Suricata's eve.json): nested objects flattened, roles from values and field meaning.</summary>
public sealed class JsonLinesTests
{
    [Fact]
    public void A_zeek_json_log_reads_with_its_ports_categorical_and_its_ids_times_and_addresses_left_out()
    {
        var path = TestData.WriteText(TestData.TempDir(), "conn.log", """
            {"ts":1709287200.123456,"uid":"Ck3Qz31vF2bX8f1pXe","id.orig_h":"10.0.0.5","id.orig_p":51234,"id.resp_h":"93.184.216.34","id.resp_p":443,"proto":"tcp","service":"ssl","duration":0.532101,"orig_bytes":517,"resp_bytes":4821,"conn_state":"SF","local_orig":true,"tunnel_parents":[]}
            {"ts":1709287201.000001,"uid":"Cw1Cl23ikX3tRa1Ae4","id.orig_h":"10.0.0.7","id.orig_p":53211,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","service":"dns","duration":0.001203,"orig_bytes":34,"resp_bytes":50,"conn_state":"SF","local_orig":false}

            {"ts":1709287202.5,"uid":"Cx9LkT2AKnbF4bUe7a","id.orig_h":"10.0.0.9","id.orig_p":40000,"id.resp_h":"10.0.0.20","id.resp_p":22,"proto":"tcp","conn_state":"S0","local_orig":true}
            """);
        var (batch, format) = SourceReading.ReadAll(path);
        Assert.Equal(SourceFormat.JsonLines, format);
        Assert.Equal(3, batch.Count);
        Assert.Equal(new[]
        {
            ("id.orig_p", ColumnRole.Categorical), ("id.resp_p", ColumnRole.Categorical), ("proto", ColumnRole.Categorical),
            ("service", ColumnRole.Categorical), ("duration", ColumnRole.Numeric), ("orig_bytes", ColumnRole.Numeric),
            ("resp_bytes", ColumnRole.Numeric), ("conn_state", ColumnRole.Categorical), ("local_orig", ColumnRole.Categorical),
        }, batch.Columns.Select(c => (c.Name, c.Role)));
        Assert.Equal(new[] { 0.532101, 0.001203, double.NaN }, batch.Numbers[4]!.Take(3)); // a field a row lacks is missing
        Assert.Equal(new[] { "443", "53", "22" }, batch.Texts[1]!.Take(3));
        Assert.Equal(new[] { "ssl", "dns", null }, batch.Texts[3]!.Take(3));
        Assert.Equal(new[] { "true", "false", "true" }, batch.Texts[8]!.Take(3));
        using var source = TableSources.Open(path, null, BadRowPolicy.Fail, null);
        Assert.Equal([$"{path}: JSON field 'tunnel_parents' holds arrays: not used as a feature"], source.Warnings);
    }

    [Fact]
    public void Nested_objects_are_flattened_with_dots_as_in_suricata_eve_json()
    {
        var path = TestData.WriteText(TestData.TempDir(), "eve.json", """
            {"timestamp":"2024-03-01T10:00:00.000+0000","flow_id":1234567,"event_type":"flow","src_port":5000,"dest_port":80,"proto":"TCP","flow":{"pkts_toserver":3,"bytes_toserver":180,"state":"closed"},"label":"benign"}
            {"timestamp":"2024-03-01T10:00:01.000+0000","flow_id":1234568,"event_type":"flow","src_port":5001,"dest_port":80,"proto":"TCP","flow":{"pkts_toserver":"4","bytes_toserver":240,"state":"new"},"label":"scan."}
            """);
        var (batch, _) = SourceReading.ReadAll(path);
        Assert.Equal(new[]
        {
            ("event_type", ColumnRole.Categorical), ("src_port", ColumnRole.Categorical), ("dest_port", ColumnRole.Categorical),
            ("proto", ColumnRole.Categorical), ("flow.pkts_toserver", ColumnRole.Numeric), ("flow.bytes_toserver", ColumnRole.Numeric),
            ("flow.state", ColumnRole.Categorical), ("label", ColumnRole.Label),
        }, batch.Columns.Select(c => (c.Name, c.Role)));
        Assert.Equal(new[] { 3.0, 4 }, batch.Numbers[4]!.Take(2)); // a number written as a string is a number
        Assert.Equal(new[] { "benign", "scan" }, batch.Labels!.Take(2));
    }

    [Fact]
    public void A_bad_row_is_named_by_line_and_column_or_set_aside()
    {
        var dir = TestData.TempDir();
        // Past the rows the roles are read from: a text in a numeric field, then a row cut short.
        var rows = Enumerable.Range(0, 1001).Select(i => $"{{\"bytes\":{i},\"kind\":\"a\"}}")
            .Append("{\"bytes\":\"lots\",\"kind\":\"b\"}").Append("{\"bytes\":3,\"kind\":");
        var path = TestData.WriteText(dir, "bad.json", string.Join("\n", rows));
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal($"{path}: line 1002, column 10: 'lots' in numeric field 'bytes' is not a number", e.Message);

        using var rejects = new RejectSink(Path.Combine(dir, "rejects.tsv"));
        using var source = TableSources.Open(path, null, BadRowPolicy.Skip, rejects);
        var batch = new ColumnBatch(source.Columns, 2000);
        source.ReadBatch(batch, 2000);
        Assert.Equal(1001, batch.Count);
        Assert.Equal(2, source.Rejected);
        Assert.Equal("line 1002, column 10: 'lots' in numeric field 'bytes' is not a number", rejects.First);
    }

    [Fact]
    public void A_first_line_that_opens_an_object_it_does_not_close_is_refused_by_line_and_column()
    {
        var path = TestData.WriteText(TestData.TempDir(), "cut.json", "\n{\"bytes\":1,\"kind\"\n{\"bytes\":2}\n");
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.StartsWith($"{path}: line 2, column ", e.Message);
        Assert.Contains(": not a JSON object: ", e.Message);
        Assert.DoesNotContain("LineNumber", e.Message);
    }

    [Fact]
    public void Fields_first_seen_after_the_sampled_rows_are_named_in_a_warning()
    {
        var rows = Enumerable.Range(0, 1001).Select(i => $"{{\"bytes\":{i}}}").Append("{\"bytes\":7,\"late\":1}");
        var path = TestData.WriteText(TestData.TempDir(), "late.json", string.Join("\n", rows));
        using var source = TableSources.Open(path, null, BadRowPolicy.Fail, null);
        var batch = new ColumnBatch(source.Columns, 2000);
        source.ReadBatch(batch, 2000);
        Assert.Equal(1002, batch.Count);
        Assert.Equal([$"{path}: 1 row has fields the first 1,001 rows do not (late): not used; give a schema file to use them"], source.Warnings);
    }
}
