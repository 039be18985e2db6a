using System.IO.Compression;
using System.IO.Hashing;
using ICSharpCode.SharpZipLib.GZip;

namespace DistGmm.Data;

/// <summary>
/// Decompresses a gzip file and proves it complete. The native inflater (zlib) checks each finished member's CRC-32
/// and length, but when the file stops inside a member it just ends, so a truncated download would read as a shorter
/// file. This stream hashes what it returns and, at the end, compares that with the file's last 8 bytes (the trailer:
/// CRC-32 and size). A mismatch means a multi-member file or a damaged one: the file is then read again by
/// SharpZipLib, which checks every member up to its trailer and says which problem it is.
/// </summary>
internal sealed class VerifiedGzipStream : Stream
{
    private const int TrailerLength = 8;
    private const int MinimumMemberLength = 18; // 10-byte header, an (empty) deflate block, the trailer
    private readonly string _path;
    private readonly FileStream _file;
    private readonly GZipStream _inflater;
    private readonly Crc32 _crc = new();
    private long _length;
    private bool _verified;

    public VerifiedGzipStream(string path, FileStream file)
    {
        _path = path;
        _file = file;
        _inflater = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = _inflater.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            // zlib's "unsupported compression method" also stands for a failed CRC check: name the actual problem.
            throw Diagnose(e) ?? new DataFormatException(_path, $"corrupt gzip data: {e.Message}", e);
        }
        if (read > 0)
        {
            _crc.Append(buffer[..read]);
            _length += read;
            return read;
        }
        if (!_verified)
        {
            if (!TrailerMatches() && Diagnose(null) is { } problem) throw problem;
            _verified = true;
        }
        return 0;
    }

    private bool TrailerMatches()
    {
        if (_file.Length < MinimumMemberLength) return false;
        Span<byte> trailer = stackalloc byte[TrailerLength];
        _file.Position = _file.Length - TrailerLength;
        _file.ReadExactly(trailer);
        return BitConverter.ToUInt32(trailer) == _crc.GetCurrentHashAsUInt32() &&
               BitConverter.ToUInt32(trailer[4..]) == (uint)_length;
    }

    /// <summary>Reads the whole file with a checking decoder; the problem it finds, or null when the file is sound.</summary>
    private DataFormatException? Diagnose(Exception? first)
    {
        try
        {
            using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var gzip = new GZipInputStream(file);
            var sink = new byte[1 << 16];
            while (gzip.Read(sink, 0, sink.Length) > 0) { }
            return null;
        }
        catch (Exception e) when (e is ICSharpCode.SharpZipLib.SharpZipBaseException or EndOfStreamException)
        {
            var size = new FileInfo(_path).Length;
            var message = e.Message;
            var reason =
                e is EndOfStreamException || message.Contains("EOF", StringComparison.OrdinalIgnoreCase) || message.Contains("EOS", StringComparison.Ordinal)
                    ? $"truncated gzip file: the compressed data ends at byte {size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} before its trailer (gzip -t: unexpected end of file)"
                : message.Contains("crc", StringComparison.OrdinalIgnoreCase)
                    ? "gzip CRC mismatch: the decompressed data does not match the file's CRC-32 (the file is corrupt)"
                : message.Contains("size", StringComparison.OrdinalIgnoreCase) || message.Contains("footer", StringComparison.OrdinalIgnoreCase)
                    ? "gzip length mismatch: the decompressed size differs from the file's trailer (the file is corrupt)"
                    : $"corrupt gzip data: {message}";
            return new DataFormatException(_path, reason, first ?? e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inflater.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
