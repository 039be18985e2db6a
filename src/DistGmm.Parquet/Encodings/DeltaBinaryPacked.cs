namespace DistGmm.Parquet.Encodings;

/// <summary>DELTA_BINARY_PACKED decoding (INT32 and INT64; arithmetic wraps as the spec requires).</summary>
internal static class DeltaBinaryPacked
{
    /// <summary>Decodes the values of one encoded run into <paramref name="dst"/> (which must fit the header's total
    /// count) and returns the number of bytes consumed (needed where lengths precede data).</summary>
    public static int Decode(ReadOnlySpan<byte> src, Span<long> dst, out int totalCount)
    {
        int pos = 0;
        ulong blockSize = Varint(src, ref pos);
        ulong miniblocks = Varint(src, ref pos);
        ulong total = Varint(src, ref pos);
        long value = ZigZag(Varint(src, ref pos));
        if (blockSize == 0 || blockSize % 128 != 0 || blockSize > 1 << 20) throw new DecodeException($"DELTA_BINARY_PACKED block size {blockSize} is invalid");
        if (miniblocks == 0 || blockSize % miniblocks != 0 || (blockSize / miniblocks) % 32 != 0)
            throw new DecodeException($"DELTA_BINARY_PACKED {miniblocks} miniblocks per block of {blockSize} is invalid");
        if (total > (ulong)dst.Length) throw new DecodeException($"DELTA_BINARY_PACKED holds {total} values, expected at most {dst.Length}");
        totalCount = (int)total;
        if (totalCount == 0) return pos;
        int perMiniblock = (int)(blockSize / miniblocks);
        int nMini = (int)miniblocks;
        dst[0] = value;
        int produced = 1;
        Span<byte> widths = stackalloc byte[Math.Min(nMini, 1024)];
        if (nMini > 1024) throw new DecodeException($"DELTA_BINARY_PACKED {nMini} miniblocks per block is too many");
        while (produced < totalCount)
        {
            long minDelta = ZigZag(Varint(src, ref pos));
            if (pos + nMini > src.Length) throw new DecodeException("DELTA_BINARY_PACKED bit widths past the end of the data");
            src.Slice(pos, nMini).CopyTo(widths);
            pos += nMini;
            for (int m = 0; m < nMini && produced < totalCount; m++)
            {
                int width = widths[m];
                if (width > 64) throw new DecodeException($"DELTA_BINARY_PACKED bit width {width} exceeds 64");
                int bytes = perMiniblock * width / 8;
                // The last miniblock may be cut short by the writer; accept the values whose bits are present.
                int available = Math.Min(bytes, src.Length - pos);
                var block = src.Slice(pos, available);
                int n = Math.Min(perMiniblock, totalCount - produced);
                if (width > 0 && (long)n * width > (long)available * 8) throw new DecodeException("DELTA_BINARY_PACKED miniblock past the end of the data");
                for (int i = 0; i < n; i++)
                {
                    value = unchecked(value + minDelta + (long)BitPacking.Read(block, i, width));
                    dst[produced++] = value;
                }
                pos += available;
            }
        }
        return pos;
    }

    private static long ZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    private static ulong Varint(ReadOnlySpan<byte> src, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (pos >= src.Length) throw new DecodeException("DELTA_BINARY_PACKED data ended inside a varint");
            byte b = src[pos++];
            if (shift == 63 && b > 1) throw new DecodeException("varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new DecodeException("varint too long");
    }

    /// <summary>Reads the header's total value count without decoding (to size buffers).</summary>
    public static int PeekCount(ReadOnlySpan<byte> src, int limit)
    {
        int pos = 0;
        Varint(src, ref pos);
        Varint(src, ref pos);
        ulong total = Varint(src, ref pos);
        if (total > (ulong)limit) throw new DecodeException($"DELTA_BINARY_PACKED holds {total} values, expected at most {limit}");
        return (int)total;
    }
}
