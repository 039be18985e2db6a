using System.IO.Compression;

namespace DistGmm.Data;

/// <summary>
/// Streams a text file as UTF-8 lines without decoding: one growing byte buffer, no allocation per line.
/// Gzip input is recognised by its magic bytes, not by the extension.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    private readonly Stream _stream;
    private byte[] _buffer = new byte[1 << 20];
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
        Span<byte> magic = stackalloc byte[2];
        var read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 20);
        return file;
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
                line = TrimCr(pending[..newline]);
                _start += newline + 1;
                LineNumber++;
                return true;
            }
            if (_eof)
            {
                if (pending.IsEmpty) { line = default; return false; }
                line = TrimCr(pending);
                _start = _end;
                LineNumber++;
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
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2); // a line longer than the buffer
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _eof = true;
        _end += read;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

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
