using System.IO.Compression;
using System.Text;

namespace DistGmm.Data.Tests;

/// <summary>Compressed input proven complete, bounded lines, a BOM dropped: nothing half-read passes as a whole file.</summary>
public sealed class InputIntegrityTests
{
    private static byte[] KddLines(int count)
    {
        using var input = new StreamReader(new GZipStream(File.OpenRead(TestData.Kdd10Percent), CompressionMode.Decompress));
        var text = new StringBuilder();
        for (var i = 0; i < count && input.ReadLine() is { } line; i++) text.Append(line).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return buffer.ToArray();
    }

    [Fact]
    public void A_multi_member_gzip_ingests_every_member()
    {
        var dir = TestData.TempDir();
        var first = KddLines(700);
        var both = KddLines(1200);
        var input = Path.Combine(dir, "two-members.gz");
        File.WriteAllBytes(input, [.. Gzip(first), .. Gzip(both[first.Length..])]);
        var result = Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 3));
        Assert.Equal(1200, result.Manifest.TotalRows);
    }

    [Fact]
    public void A_gzip_cut_where_a_flushed_line_ends_is_truncated_not_short()
    {
        // Flushed after 500 whole lines: a reader of the cut file sees exactly 500 complete, parseable lines; only the
        // missing trailer tells it the file is not whole.
        var dir = TestData.TempDir();
        var lines = KddLines(1000);
        var half = KddLines(500).Length;
        using var buffer = new MemoryStream();
        long cut;
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(lines.AsSpan(0, half));
            gzip.Flush();
            cut = buffer.Length;
            gzip.Write(lines.AsSpan(half));
        }
        var input = Path.Combine(dir, "cut-at-line.gz");
        File.WriteAllBytes(input, buffer.ToArray()[..(int)cut]);
        using (var plain = new GZipStream(File.OpenRead(input), CompressionMode.Decompress))
        using (var copy = new MemoryStream())
        {
            plain.CopyTo(copy); // what the native inflater alone would accept
            Assert.Equal(lines[..half], copy.ToArray());
        }
        var e = Assert.Throws<DataFormatException>(() => Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 2)));
        Assert.Contains("truncated", e.Message);
        Assert.StartsWith(input, e.Message);
    }

    [Fact]
    public void A_flipped_crc_byte_is_a_crc_mismatch()
    {
        var dir = TestData.TempDir();
        var bytes = Gzip(KddLines(300));
        bytes[^8] ^= 0x01;
        var input = Path.Combine(dir, "bad-crc.gz");
        File.WriteAllBytes(input, bytes);
        var e = Assert.Throws<DataFormatException>(() => Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1)));
        Assert.Contains("CRC mismatch", e.Message);
        Assert.StartsWith(input, e.Message);
    }

    [Fact]
    public void A_line_over_the_limit_is_one_short_error_quoting_its_start()
    {
        var dir = TestData.TempDir();
        var input = Path.Combine(dir, "long-line.csv");
        using (var file = File.Create(input))
        {
            file.Write(KddLines(3));
            var chunk = Encoding.ASCII.GetBytes(new string('x', 1 << 16));
            for (var written = 0; written < 10 << 20; written += chunk.Length) file.Write(chunk);
            file.Write("\n"u8);
            file.Write(KddLines(2));
        }
        var e = Assert.Throws<DataFormatException>(() => Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1)));
        Assert.Equal(4, e.Line);
        Assert.Contains("longer than the 1 MiB limit", e.Message);
        Assert.Contains("\"" + new string('x', 80) + "\"", e.Message);
        Assert.True(e.Message.Length < 300, e.Message);
    }

    [Fact]
    public void A_utf8_bom_before_a_kdd_header_is_dropped()
    {
        var dir = TestData.TempDir();
        var input = Path.Combine(dir, "bom.csv");
        File.WriteAllBytes(input, [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(TestData.Head500Csv)]);
        var result = Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1));
        Assert.Equal(SourceFormat.KddHeader, result.Manifest.SourceFormat);
        Assert.Equal("duration", result.Manifest.DataColumns[0].Name);
        Assert.Equal(499, result.Manifest.TotalRows); // 500 lines, the first the header
    }

    [Fact]
    public void A_utf8_bom_before_a_plain_csv_header_is_dropped()
    {
        var dir = TestData.TempDir();
        var input = Path.Combine(dir, "bom-plain.csv");
        File.WriteAllBytes(input, [0xEF, 0xBB, 0xBF, .. "a,b,label\n1,2,x\n3,4,y\n"u8]);
        var result = Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1));
        Assert.Equal(["a", "b", "label"], result.Manifest.DataColumns.Select(c => c.Name));
        Assert.Equal(2, result.Manifest.TotalRows);
    }

    [Fact]
    public void Binary_garbage_is_refused_even_when_bad_rows_are_skipped()
    {
        var dir = TestData.TempDir();
        var input = Path.Combine(dir, "garbage.bin");
        var bytes = new byte[256 * 1024];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(input, bytes);
        var previous = Ingestion.Ingest(new IngestOptions(TestData.Head500Csv, Path.Combine(dir, "ds"), Shards: 1));
        var manifestBefore = File.ReadAllBytes(previous.ManifestPath);
        var e = Assert.Throws<DataFormatException>(() =>
            Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1, OnBadRow: BadRowPolicy.Skip)));
        Assert.Contains("binary data", e.Message);
        // The dataset that was there stays whole.
        Assert.Equal(manifestBefore, File.ReadAllBytes(previous.ManifestPath));
        Assert.Empty(DatasetManifest.Load(Path.Combine(dir, "ds")).Verify());
        Assert.Equal(["ds"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Where(n => n != "garbage.bin"));
    }

    [Fact]
    public void Skipping_bad_rows_refuses_a_file_where_most_rows_are_bad()
    {
        var dir = TestData.TempDir();
        var input = Path.Combine(dir, "mostly-bad.csv");
        var good = Encoding.UTF8.GetString(KddLines(4));
        File.WriteAllText(input, good + string.Concat(Enumerable.Range(0, 5).Select(i => $"{i},tcp,http\n")));
        var e = Assert.Throws<DataFormatException>(() =>
            Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1, OnBadRow: BadRowPolicy.Skip)));
        Assert.Contains("5 of 9 rows are malformed", e.Message);
        Assert.Contains("line 5, column 4: expected 42 fields, found 3", e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "ds")));

        // Fewer than half bad: skipped and counted as before.
        File.WriteAllText(input, good + "1,tcp,http\n");
        var result = Ingestion.Ingest(new IngestOptions(input, Path.Combine(dir, "ds"), Shards: 1, OnBadRow: BadRowPolicy.Skip));
        Assert.Equal((4, 1), (result.Manifest.TotalRows, result.RejectedRows));
    }
}
