using System.IO.Compression;
using DistGmm.Parquet.Encodings;

namespace DistGmm.Parquet.Compression;

/// <summary>Page (de)compression for the codecs this project supports.</summary>
internal static class PageCompression
{
    public static bool CanRead(CompressionCodec codec) =>
        codec is CompressionCodec.Uncompressed or CompressionCodec.Snappy or CompressionCodec.Gzip or CompressionCodec.Brotli;

    public static bool CanWrite(CompressionCodec codec) => CanRead(codec);

    public static string Name(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Uncompressed => "UNCOMPRESSED",
        CompressionCodec.Lz4Raw => "LZ4_RAW",
        _ => codec.ToString().ToUpperInvariant(),
    };

    /// <summary>
    /// Decompresses into <paramref name="buffer"/> (grown as needed) and returns the bytes. For GZIP and Brotli the
    /// buffer grows with the output actually produced, so a lying size field cannot force a huge allocation.
    /// </summary>
    public static ReadOnlySpan<byte> Decompress(CompressionCodec codec, ReadOnlySpan<byte> src, byte[] srcArray, int srcOffset,
        int uncompressedSize, ref byte[] buffer)
    {
        if (uncompressedSize < 0) throw new DecodeException($"negative uncompressed size {uncompressedSize}");
        switch (codec)
        {
            case CompressionCodec.Uncompressed:
                if (uncompressedSize != src.Length) throw new DecodeException($"uncompressed page of {src.Length} bytes declares {uncompressedSize} bytes");
                return src;
            case CompressionCodec.Snappy:
            {
                if (src.IsEmpty) throw new DecodeException("empty Snappy block");
                int declared = SnappyDecoder.GetUncompressedLength(src, out _);
                if (declared != uncompressedSize) throw new DecodeException($"Snappy block decompresses to {declared} bytes, the page header says {uncompressedSize}");
                // Snappy expands at most ~21x (a 3-byte copy emits 64 bytes); anything beyond is corrupt.
                if ((long)uncompressedSize > (long)src.Length * 32 + 64) throw new DecodeException($"Snappy block of {src.Length} bytes cannot hold {uncompressedSize} bytes");
                var dst = Ensure(ref buffer, uncompressedSize);
                SnappyDecoder.Decompress(src, dst);
                return dst;
            }
            case CompressionCodec.Gzip:
            {
                using var input = new MemoryStream(srcArray, srcOffset, src.Length, writable: false);
                using var stream = new GZipStream(input, CompressionMode.Decompress);
                return ReadStream(stream, uncompressedSize, src.Length, ref buffer, "GZIP");
            }
            case CompressionCodec.Brotli:
            {
                using var input = new MemoryStream(srcArray, srcOffset, src.Length, writable: false);
                using var stream = new BrotliStream(input, CompressionMode.Decompress);
                return ReadStream(stream, uncompressedSize, src.Length, ref buffer, "BROTLI");
            }
            default:
                throw new DecodeException($"compression codec {Name(codec)} is not supported");
        }
    }

    private static ReadOnlySpan<byte> ReadStream(Stream stream, int expected, int compressedLength, ref byte[] buffer, string name)
    {
        int capacity = (int)Math.Min(expected, (long)compressedLength * 16 + 4096);
        var dst = Ensure(ref buffer, capacity);
        int total = 0;
        try
        {
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total >= expected)
                    {
                        // Full: anything more is a size mismatch.
                        if (stream.ReadByte() >= 0) throw new DecodeException($"{name} data decompresses to more than the declared {expected} bytes");
                        break;
                    }
                    Array.Resize(ref buffer, (int)Math.Min(expected, (long)buffer.Length * 2));
                }
                int limit = Math.Min(buffer.Length, expected) - total;
                if (limit == 0)
                {
                    if (stream.ReadByte() >= 0) throw new DecodeException($"{name} data decompresses to more than the declared {expected} bytes");
                    break;
                }
                int read = stream.Read(buffer, total, limit);
                if (read == 0) break;
                total += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw new DecodeException($"corrupt {name} data: {e.Message}");
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            throw new DecodeException($"corrupt {name} data: {e.Message}");
        }
        if (total != expected) throw new DecodeException($"{name} data decompresses to {total} bytes, the page header says {expected}");
        _ = dst;
        return buffer.AsSpan(0, total);
    }

    private static Span<byte> Ensure(ref byte[] buffer, int size)
    {
        if (buffer.Length < size) buffer = new byte[Math.Max(size, Math.Min(Array.MaxLength, buffer.Length * 2))];
        return buffer.AsSpan(0, size);
    }

    /// <summary>Compresses <paramref name="src"/> with <paramref name="codec"/>, appending to <paramref name="output"/>.</summary>
    public static void Compress(CompressionCodec codec, ReadOnlySpan<byte> src, ByteBuffer output)
    {
        switch (codec)
        {
            case CompressionCodec.Uncompressed:
                output.Write(src);
                break;
            case CompressionCodec.Snappy:
            {
                var dst = output.Append(SnappyEncoder.MaxCompressedLength(src.Length));
                int written = SnappyEncoder.Compress(src, dst);
                output.SetLength(output.Length - dst.Length + written);
                break;
            }
            case CompressionCodec.Gzip:
            {
                using var ms = new MemoryStream();
                using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(src);
                output.Write(ms.GetBuffer().AsSpan(0, (int)ms.Length));
                break;
            }
            case CompressionCodec.Brotli:
            {
                var dst = output.Append(BrotliEncoder.GetMaxCompressedLength(src.Length));
                if (!BrotliEncoder.TryCompress(src, dst, out int written, quality: 4, window: 22))
                    throw new InvalidOperationException("Brotli compression failed");
                output.SetLength(output.Length - dst.Length + written);
                break;
            }
            default:
                throw new NotSupportedException($"Writing with codec {Name(codec)} is not supported; use UNCOMPRESSED, SNAPPY, GZIP or BROTLI.");
        }
    }
}
