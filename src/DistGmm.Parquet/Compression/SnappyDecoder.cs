using System.Runtime.Intrinsics;
using DistGmm.Parquet.Encodings;

namespace DistGmm.Parquet.Compression;

/// <summary>
/// Raw Snappy block decoder (the hot path of reading Snappy pages). Every literal and copy is bounds-checked
/// against input and output, so corrupt data raises <see cref="DecodeException"/> and never reads or writes out of range.
/// </summary>
internal static unsafe class SnappyDecoder
{
    /// <summary>The uncompressed length from the block's varint preamble.</summary>
    public static int GetUncompressedLength(ReadOnlySpan<byte> src, out int preambleLength)
    {
        uint result = 0;
        for (int i = 0, shift = 0; i < 5 && i < src.Length; i++, shift += 7)
        {
            byte b = src[i];
            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (result > int.MaxValue) break;
                preambleLength = i + 1;
                return (int)result;
            }
        }
        throw new DecodeException("corrupt Snappy block: bad length preamble");
    }

    /// <summary>Decompresses <paramref name="src"/> into exactly <paramref name="dst"/> (whose length must equal
    /// the preamble's length).</summary>
    public static void Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int expected = GetUncompressedLength(src, out int pre);
        if (expected != dst.Length) throw new DecodeException($"Snappy block decompresses to {expected} bytes, the page header says {dst.Length}");
        fixed (byte* s0 = src)
        fixed (byte* d0 = dst)
        {
            byte* s = s0 + pre, sEnd = s0 + src.Length;
            byte* d = d0, dEnd = d0 + dst.Length;
            while (s < sEnd)
            {
                uint tag = *s++;
                uint length;
                uint offset;
                switch (tag & 3)
                {
                    case 0:
                    {
                        length = tag >> 2;
                        if (length >= 60)
                        {
                            int extra = (int)length - 59;
                            if (sEnd - s < extra) throw Corrupt();
                            length = 0;
                            for (int k = 0; k < extra; k++) length |= (uint)s[k] << (8 * k);
                            s += extra;
                            if (length == uint.MaxValue) throw Corrupt();
                        }
                        length += 1;
                        if (length > (ulong)(sEnd - s) || length > (ulong)(dEnd - d)) throw Corrupt();
                        if (length <= 16 && sEnd - s >= 16 && dEnd - d >= 16)
                            Vector128.Store(Vector128.Load(s), d); // short literal: one 16-byte move, excess overwritten later
                        else
                            Buffer.MemoryCopy(s, d, dEnd - d, length);
                        s += length;
                        d += length;
                        continue;
                    }
                    case 1:
                        if (s >= sEnd) throw Corrupt();
                        length = 4 + ((tag >> 2) & 7);
                        offset = ((tag >> 5) << 8) | *s++;
                        break;
                    case 2:
                        if (sEnd - s < 2) throw Corrupt();
                        length = (tag >> 2) + 1;
                        offset = (uint)(s[0] | (s[1] << 8));
                        s += 2;
                        break;
                    default:
                        if (sEnd - s < 4) throw Corrupt();
                        length = (tag >> 2) + 1;
                        offset = (uint)(s[0] | (s[1] << 8) | (s[2] << 16) | (s[3] << 24));
                        s += 4;
                        break;
                }
                if (offset == 0 || offset > (ulong)(d - d0) || length > (ulong)(dEnd - d)) throw Corrupt();
                byte* from = d - offset;
                if (offset >= 16 && dEnd - d >= length + 16)
                {
                    // Non-overlapping 16-byte steps; may write up to 15 bytes past the copy, still inside dst.
                    for (uint k = 0; k < length; k += 16) Vector128.Store(Vector128.Load(from + k), d + k);
                }
                else if (dEnd - d >= length + 32)
                {
                    // Offset 1..15 (runs, e.g. repeated doubles): copy the pattern onto itself, doubling the distance
                    // until it spans 16 bytes, then move 16 bytes at a time. Overshoot stays within the 32-byte slack.
                    byte* pattern = from, op = d, end = d + length;
                    while (op - pattern < 16)
                    {
                        Vector128.Store(Vector128.Load(pattern), op);
                        op += op - pattern;
                    }
                    for (; op < end; op += 16, pattern += 16) Vector128.Store(Vector128.Load(pattern), op);
                }
                else
                {
                    for (uint k = 0; k < length; k++) d[k] = from[k];
                }
                d += length;
            }
            if (d != dEnd) throw new DecodeException($"Snappy block produced {d - d0} bytes, expected {dst.Length}");
        }
    }

    private static DecodeException Corrupt() => new("corrupt Snappy block");
}
