namespace DistGmm.Data;

/// <summary>
/// Streams a text file as UTF-8 lines without decoding: one growing byte buffer, no allocation per line.
/// Gzip input is recognised by its magic bytes, not by the extension, and verified to its trailer; so are a zip archive
/// of one file (as datasets are downloaded) and UTF-16 text with its byte-order mark (Excel's "Unicode Text"), which is
/// transcoded to UTF-8. A line longer than <see cref="MaxLineBytes"/> is an error (memory stays bounded whatever the
/// input); a leading UTF-8 BOM is dropped.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    /// <summary>The longest line accepted (1 MiB; a KDD record is about 100 bytes).</summary>
    public const int MaxLineBytes = 1 << 20;

    /// <summary>How much of an over-long line the error quotes.</summary>
    private const int QuotedChars = 80;

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[MaxLineBytes + (1 << 16)];
    private int _start;
    private int _end;
    private bool _eof;

    public Utf8LineReader(string path)
    {
        Path = path;
        _stream = OpenDecompressed(path);
    }

    public string Path { get; }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    public static Stream OpenDecompressed(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[4];
            var read = file.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
            file.Position = 0;
            if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
                return new BufferedStream(new VerifiedGzipStream(path, file), 1 << 20);
            // A zip's first entry, or an empty archive's end record.
            if (read == 4 && (magic.SequenceEqual("PK\u0003\u0004"u8) || magic.SequenceEqual("PK\u0005\u0006"u8)))
                return ZipEntryStream.OpenOnly(path, file);
            // UTF-16 with its byte-order mark (never valid UTF-8 text); the BOM goes through as U+FEFF and is dropped as a UTF-8 BOM.
            if (read >= 2 && magic[0] == 0xFF && magic[1] == 0xFE)
                return new BufferedStream(System.Text.Encoding.CreateTranscodingStream(file, System.Text.Encoding.Unicode, System.Text.Encoding.UTF8), 1 << 20);
            if (read >= 2 && magic[0] == 0xFE && magic[1] == 0xFF)
                return new BufferedStream(System.Text.Encoding.CreateTranscodingStream(file, System.Text.Encoding.BigEndianUnicode, System.Text.Encoding.UTF8), 1 << 20);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The next line without its terminator (LF or CRLF); false at the end of the file.</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var newline = pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = Clean(pending[..newline]);
                _start += newline + 1;
                return true;
            }
            if (pending.Length > MaxLineBytes) throw LineTooLong(pending);
            if (_eof)
            {
                if (pending.IsEmpty) { line = default; return false; }
                line = Clean(pending);
                _start = _end;
                return true;
            }
            Fill();
        }
    }

    private void Fill()
    {
        var pendingLength = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pendingLength);
            _start = 0;
            _end = pendingLength;
        }
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _eof = true;
        _end += read;
    }

    /// <summary>Counts the line; drops its CR terminator and, on the first line, a UTF-8 byte-order mark.</summary>
    private ReadOnlySpan<byte> Clean(ReadOnlySpan<byte> line)
    {
        if (LineNumber++ == 0 && line.StartsWith(Utf8Bom)) line = line[Utf8Bom.Length..];
        return line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private DataFormatException LineTooLong(ReadOnlySpan<byte> start)
    {
        var head = Utf8Fields.Decode(start[..Math.Min(start.Length, QuotedChars * 4)]);
        var quoted = new string([.. head.Take(QuotedChars).Select(c => char.IsControl(c) || c == '\uFFFD' ? '?' : c)]);
        return new DataFormatException(Path, LineNumber + 1, 0,
            $"line longer than the {MaxLineBytes / (1 << 20)} MiB limit, not a data row (it starts \"{quoted}\")");
    }

    /// <summary>Counts data lines (non-empty) quickly, so shards can be cut contiguously in one writing pass.</summary>
    public static long CountNonEmptyLines(string path)
    {
        using var stream = OpenDecompressed(path);
        var buffer = new byte[1 << 20];
        long lines = 0;
        var previous = (byte)'\n';
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            lines += span.Count((byte)'\n');
            // Empty lines ("\n\n") are not rows; count them out.
            if (previous == (byte)'\n' && span[0] == (byte)'\n') lines--;
            lines -= CountDoubleNewlines(span);
            previous = span[^1];
        }
        if (previous != (byte)'\n') lines++;
        return lines;
    }

    private static long CountDoubleNewlines(ReadOnlySpan<byte> span)
    {
        long count = 0;
        int index;
        while ((index = span.IndexOf("\n\n"u8)) >= 0)
        {
            count++;
            span = span[(index + 1)..];
        }
        return count;
    }

    public void Dispose() => _stream.Dispose();
}
