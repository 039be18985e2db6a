using System.IO.Compression;

namespace DistGmm.Data.Tests;

/// <summary>Other delimiters, open quotes, header-only files and out-of-range numbers: read right or refused in one line.</summary>
public sealed class DelimitedEdgeTests
{
    private static readonly string[] KddLines = TestData.ReadLines(TestData.Fixture("kdd_head20.txt")).Take(5).ToArray();

    [Theory]
    [InlineData(";", "';'")]
    [InlineData("\t", "tab")]
    [InlineData("|", "'|'")]
    public void A_file_separated_by_another_delimiter_reads_as_its_comma_twin(string delimiter, string name)
    {
        var dir = TestData.TempDir();
        var commas = TestData.WriteText(dir, "k.csv", string.Join("\n", KddLines));
        var other = TestData.WriteText(dir, "k.txt", string.Join("\n", KddLines.Select(l => l.Replace(",", delimiter))));
        AssertSameRows(commas, other, SourceFormat.KddRaw);
        using var source = TableSources.Open(other, null, BadRowPolicy.Fail, null);
        Assert.Equal([$"{other}: read as {name}-separated (its first line has no commas)"], source.Warnings);
    }

    [Fact]
    public void The_delimiter_is_taken_from_lines_that_agree()
    {
        Assert.Equal((byte)';', TableSources.DetectDelimiter("a;b;c", ["1;2;3", "4;5;6"]));
        Assert.Equal((byte)';', TableSources.DetectDelimiter("a;b;c", ["1;2;3", "4;5"])); // one short row is a bad row
        Assert.Equal((byte)';', TableSources.DetectDelimiter("a;b", [])); // a header alone
        Assert.Equal((byte)';', TableSources.DetectDelimiter("\"x;y\";b", ["1;2"])); // quotes respected
        Assert.Equal((byte)',', TableSources.DetectDelimiter("a,b;c", ["1,2;3"])); // commas win
        Assert.Equal((byte)',', TableSources.DetectDelimiter("1,2;3", ["4,5;6"])); // ... where they split into more fields
        Assert.Equal((byte)';', TableSources.DetectDelimiter("0;0,5;tcp", ["1;2,25;udp"])); // decimal commas
        // A one-column file whose header holds a ';' the values do not: still one column.
        Assert.Equal((byte)',', TableSources.DetectDelimiter("size;unit", ["12", "13", "14"]));
    }

    [Fact]
    public void A_semicolon_file_with_decimal_commas_reads_as_its_comma_twin()
    {
        // KDD rows as a spreadsheet in much of Europe saves them: ';' between fields, a comma before the decimals.
        var dir = TestData.TempDir();
        var commas = TestData.WriteText(dir, "k.csv", string.Join("\n", KddLines));
        var european = TestData.WriteText(dir, "k.txt", string.Join("\n",
            KddLines.Select(l => System.Text.RegularExpressions.Regex.Replace(l.Replace(",", ";"), @"(?<=\d)\.(?=\d)", ","))));
        Assert.Contains(";0,00;", File.ReadAllText(european));
        AssertSameRows(commas, european, SourceFormat.KddRaw);
        using var source = TableSources.Open(european, null, BadRowPolicy.Fail, null);
        Assert.Equal([$"{european}: read as ';'-separated, numbers with a decimal comma (e.g. '0,5')"],
            source.Warnings);
    }

    [Fact]
    public void Decimal_commas_are_read_in_a_header_file_and_a_later_point_is_refused_by_line_and_column()
    {
        var dir = TestData.TempDir();
        var rows = Enumerable.Range(0, 1001).Select(i => $"{i};{i},5;http;normal").ToList();
        var path = TestData.WriteText(dir, "t.csv", "duration;rate;service;label\n" + string.Join("\n", rows));
        var (batch, format) = SourceReading.ReadAll(path);
        Assert.Equal(SourceFormat.Csv, format);
        Assert.Equal([ColumnRole.Numeric, ColumnRole.Numeric, ColumnRole.Categorical, ColumnRole.Label], batch.Columns.Select(c => c.Role));
        Assert.Equal([0.5, 1.5, 2.5], batch.Numbers[1]!.Take(3));

        // Past the rows the convention was read from, a decimal point is an error, not a silent misread.
        var bad = TestData.WriteText(dir, "b.csv", "duration;rate;service;label\n" + string.Join("\n", rows) + "\n7;1.5;http;normal");
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(bad));
        Assert.Equal($"{bad}: line 1003, column 2: '1.5' in numeric column 'rate' is not a number " +
                     "(this file's numbers have a decimal comma, e.g. '0,5')", e.Message);
    }

    [Fact]
    public void A_decimal_comma_is_read_only_where_no_field_has_a_decimal_point()
    {
        Assert.True(TableSources.UsesDecimalComma([["rate", "x"], ["0,5", "http"], ["-1,25E3", "7"]]));
        Assert.False(TableSources.UsesDecimalComma([["0,5", "1.5"]]));        // a point decimal: the comma means something else
        Assert.False(TableSources.UsesDecimalComma([["1,2,3", "7"]]));        // a list, not a number
        Assert.False(TableSources.UsesDecimalComma([["a,b", "7"], ["3", "4"]]));
        Assert.True(Utf8Fields.TryParseDecimalComma("12"u8, out var whole) && whole == 12);
        Assert.False(Utf8Fields.TryParseDecimalComma("1.234,5"u8, out _));   // thousands separators are not guessed at

        // A ';' file mixing both: the comma fields stay text, as before.
        var dir = TestData.TempDir();
        var (batch, _) = SourceReading.ReadAll(TestData.WriteText(dir, "m.csv", "a;b;label\n0,5;1.5;normal\n1,5;2.5;normal\n"));
        Assert.Equal([ColumnRole.Categorical, ColumnRole.Numeric, ColumnRole.Label], batch.Columns.Select(c => c.Role));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Utf16_text_with_its_byte_order_mark_reads_as_its_utf8_twin(bool bigEndian)
    {
        // Excel's "Unicode Text" export: UTF-16 with a BOM, tab-separated.
        var dir = TestData.TempDir();
        var utf8 = TestData.WriteText(dir, "k.csv", string.Join("\n", KddLines));
        var utf16 = Path.Combine(dir, "k16.txt");
        File.WriteAllText(utf16, string.Join("\r\n", KddLines.Select(l => l.Replace(",", "\t"))),
            new System.Text.UnicodeEncoding(bigEndian, byteOrderMark: true));
        AssertSameRows(utf8, utf16, SourceFormat.KddRaw);
    }

    [Fact]
    public void A_zip_of_one_file_reads_as_that_file_and_an_archive_of_several_is_refused_naming_them()
    {
        var dir = TestData.TempDir();
        var csv = TestData.WriteText(dir, "k.csv", string.Join("\n", KddLines));
        var one = Path.Combine(dir, "one.zip");
        using (var zip = ZipFile.Open(one, ZipArchiveMode.Create))
        {
            zip.CreateEntry("data/"); // a folder and macOS's extras are not data files
            zip.CreateEntryFromFile(csv, "data/kddcup.data");
            zip.CreateEntry("__MACOSX/data/._kddcup.data");
        }
        AssertSameRows(csv, one, SourceFormat.KddRaw);

        var two = Path.Combine(dir, "two.zip");
        using (var zip = ZipFile.Open(two, ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(csv, "KDDTrain+.txt");
            zip.CreateEntryFromFile(csv, "KDDTest+.txt");
        }
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(two));
        Assert.Equal($"{two}: a zip archive of 2 files (KDDTrain+.txt, KDDTest+.txt): unzip it and give one of them", e.Message);
        var empty = Path.Combine(dir, "empty.zip");
        ZipFile.Open(empty, ZipArchiveMode.Create).Dispose();
        Assert.Equal($"{empty}: a zip archive with no file in it", Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(empty)).Message);
    }

    private static void AssertSameRows(string expectedPath, string actualPath, SourceFormat expectedFormat)
    {
        var (expected, _) = SourceReading.ReadAll(expectedPath);
        var (actual, format) = SourceReading.ReadAll(actualPath);
        Assert.Equal(expectedFormat, format);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Columns, actual.Columns);
        for (var c = 0; c < expected.Columns.Count; c++)
        {
            if (expected.Numbers[c] is { } numbers) Assert.Equal(numbers.Take(expected.Count), actual.Numbers[c]!.Take(actual.Count));
            else Assert.Equal(expected.Texts[c]!.Take(expected.Count), actual.Texts[c]!.Take(actual.Count));
        }
        Assert.Equal(Utf8LineReader.CountNonEmptyLines(expectedPath), Utf8LineReader.CountNonEmptyLines(actualPath));
    }

    [Fact]
    public void A_one_column_csv_stays_one_column()
    {
        var dir = TestData.TempDir();
        var (batch, format) = SourceReading.ReadAll(TestData.WriteText(dir, "one.csv", "size;unit\n12\n13\n"));
        Assert.Equal(SourceFormat.Csv, format);
        Assert.Equal(["size;unit"], batch.Columns.Select(c => c.Name));
        Assert.Equal([12.0, 13], batch.Numbers[0]!.Take(batch.Count));
    }

    [Fact]
    public void A_header_without_data_rows_is_refused_and_leaves_no_dataset()
    {
        var dir = TestData.TempDir();
        var input = TestData.WriteText(dir, "h.csv", "\"duration\",\"src_bytes\",\"label\"\n\n");
        var e = Assert.Throws<DataFormatException>(() => Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"))));
        Assert.Equal($"{input}: has a header but no data rows", e.Message);
        Assert.Equal(["h.csv"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void An_unterminated_quote_names_the_line_and_the_field_it_opens()
    {
        var dir = TestData.TempDir();
        var lines = KddLines.ToArray();
        lines[3] = lines[3].Replace(",http,", ",\"http,");
        var path = TestData.WriteText(dir, "q.csv", string.Join("\n", lines));
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal($"{path}: line 4, column 3: unterminated quote: the '\"' that opens this field is not closed on its line", e.Message);

        var header = TestData.WriteText(dir, "h.csv", "\n\"a\",\"b\n1,2\n");
        e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(header));
        Assert.Equal((2L, 2), (e.Line, e.Column));

        var ranges = new Range[4];
        Assert.Equal(2, Utf8Fields.Split("a,\"b\"\"c"u8, ranges, (byte)',', out var open));
        Assert.Equal(2, open);
        Assert.Equal(3, Utf8Fields.Split("a,\"b,c\",d"u8, ranges, (byte)',', out open));
        Assert.Equal(0, open);
    }

    [Theory]
    [InlineData("1e400", "finite number (a double holds up to ±1.8e308)")]
    [InlineData("-inf", "finite number (a double holds up to ±1.8e308)")]
    [InlineData("Infinity", "finite number (a double holds up to ±1.8e308)")]
    [InlineData("12x", "number")]
    public void A_number_a_double_cannot_hold_is_named_as_such(string value, string what)
    {
        var dir = TestData.TempDir();
        var lines = KddLines.ToArray();
        lines[1] = lines[1].Replace("0,tcp,http,SF,239,", $"0,tcp,http,SF,{value},");
        var path = TestData.WriteText(dir, "n.csv", string.Join("\n", lines));
        var e = Assert.Throws<DataFormatException>(() => SourceReading.ReadAll(path));
        Assert.Equal($"{path}: line 2, column 5: '{value}' in numeric column 'src_bytes' is not a {what}", e.Message);
    }
}
