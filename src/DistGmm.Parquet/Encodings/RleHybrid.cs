using System.Buffers.Binary;

namespace DistGmm.Parquet.Encodings;

/// <summary>The RLE / bit-packing hybrid (definition levels, dictionary indices, RLE booleans).</summary>
internal static class RleHybrid
{
    /// <summary>Decodes exactly <c>dst.Length</c> values of width 0..32; throws when the data runs out.</summary>
    public static void Decode(ReadOnlySpan<byte> src, int bitWidth, Span<int> dst)
    {
        if ((uint)bitWidth > 32) throw new DecodeException($"RLE bit width {bitWidth} is out of range 0..32");
        int byteWidth = (bitWidth + 7) / 8;
        int pos = 0, produced = 0;
        while (produced < dst.Length)
        {
            if (pos >= src.Length) throw new DecodeException($"RLE data ended after {produced} of {dst.Length} values");
            ulong header = ReadVarint(src, ref pos);
            if ((header & 1) == 0)
            {
                ulong runLength = header >> 1;
                if (runLength == 0) throw new DecodeException("RLE run of length 0");
                if (pos + byteWidth > src.Length) throw new DecodeException("RLE run value past the end of the data");
                uint value = 0;
                for (int i = 0; i < byteWidth; i++) value |= (uint)src[pos + i] << (8 * i);
                pos += byteWidth;
                if (bitWidth < 32 && value >> bitWidth != 0) throw new DecodeException($"RLE value {value} wider than {bitWidth} bits");
                int n = (int)Math.Min(runLength, (ulong)(dst.Length - produced));
                dst.Slice(produced, n).Fill((int)value);
                produced += n;
            }
            else
            {
                ulong groups = header >> 1;
                if (groups == 0) throw new DecodeException("bit-packed run of 0 groups");
                long runBytes = (long)Math.Min(groups, int.MaxValue) * bitWidth;
                int available = (int)Math.Min(runBytes, src.Length - pos);
                long runValues = (long)Math.Min(groups, int.MaxValue) * 8;
                // Writers may truncate the padding of the final run; accept the values whose bits are present.
                long presentValues = bitWidth == 0 ? runValues : Math.Min(runValues, (long)available * 8 / bitWidth);
                int n = (int)Math.Min(presentValues, dst.Length - produced);
                if (n == 0 && produced < dst.Length) throw new DecodeException("bit-packed run past the end of the data");
                BitPacking.Unpack32(src.Slice(pos, available), bitWidth, dst.Slice(produced, n));
                produced += n;
                pos += available;
            }
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> src, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= src.Length) throw new DecodeException("truncated varint");
            byte b = src[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new DecodeException("varint too long");
    }

    /// <summary>Encodes values (each &lt; 2^bitWidth): runs of ≥ 8 equal values as RLE runs, the rest bit-packed.</summary>
    public static void Encode(ReadOnlySpan<int> values, int bitWidth, ByteBuffer output)
    {
        int byteWidth = (bitWidth + 7) / 8;
        int i = 0;
        int packedStart = -1;
        Span<int> group = stackalloc int[8];
        while (i < values.Length)
        {
            int run = 1;
            while (i + run < values.Length && values[i + run] == values[i]) run++;
            if (run >= 8)
            {
                if (packedStart >= 0) FlushPacked(values[packedStart..i], bitWidth, output, group);
                packedStart = -1;
                output.WriteVarint((ulong)run << 1);
                uint v = (uint)values[i];
                for (int k = 0; k < byteWidth; k++) output.WriteByte((byte)(v >> (8 * k)));
                i += run;
            }
            else
            {
                if (packedStart < 0) packedStart = i;
                // Advance a whole group of 8 so RLE checks stay aligned to packed groups.
                i = Math.Min(values.Length, i + 8);
            }
        }
        if (packedStart >= 0) FlushPacked(values[packedStart..], bitWidth, output, group);
    }

    private static void FlushPacked(ReadOnlySpan<int> values, int bitWidth, ByteBuffer output, Span<int> group)
    {
        int groups = (values.Length + 7) / 8;
        output.WriteVarint(((ulong)groups << 1) | 1);
        Span<byte> packed = stackalloc byte[32];
        for (int g = 0; g < groups; g++)
        {
            group.Clear();
            var src = values.Slice(g * 8, Math.Min(8, values.Length - g * 8));
            src.CopyTo(group);
            BitPacking.Pack32(group, bitWidth, packed[..bitWidth]);
            output.Write(packed[..bitWidth]);
        }
    }

    /// <summary>Levels with the 4-byte little-endian length prefix used by data page v1 and RLE booleans.</summary>
    public static void EncodeWithLength(ReadOnlySpan<int> values, int bitWidth, ByteBuffer output)
    {
        int lengthAt = output.Length;
        output.WriteInt32(0);
        int start = output.Length;
        Encode(values, bitWidth, output);
        BinaryPrimitives.WriteInt32LittleEndian(output.Span.Slice(lengthAt, 4), output.Length - start);
    }
}
