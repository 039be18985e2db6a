using System.Buffers.Binary;

namespace DistGmm.Parquet.Encodings;

/// <summary>LSB-first bit packing (as used by the RLE/bit-packing hybrid and DELTA_BINARY_PACKED).</summary>
internal static class BitPacking
{
    /// <summary>Reads value <paramref name="index"/> of width <paramref name="bitWidth"/> (0..64).</summary>
    public static ulong Read(ReadOnlySpan<byte> src, long index, int bitWidth)
    {
        if (bitWidth == 0) return 0;
        long bitPos = index * bitWidth;
        int byteIndex = (int)(bitPos >> 3);
        int shift = (int)(bitPos & 7);
        ulong word;
        if (byteIndex + 8 <= src.Length) word = BinaryPrimitives.ReadUInt64LittleEndian(src[byteIndex..]);
        else word = ReadTail(src, byteIndex);
        ulong value = word >> shift;
        int have = 64 - shift;
        if (have < bitWidth)
        {
            // Width above 56 bits can straddle a ninth byte.
            ulong next = byteIndex + 8 < src.Length ? src[byteIndex + 8] : 0UL;
            value |= next << have;
        }
        return bitWidth == 64 ? value : value & ((1UL << bitWidth) - 1);
    }

    private static ulong ReadTail(ReadOnlySpan<byte> src, int byteIndex)
    {
        ulong word = 0;
        for (int i = 0; i < 8 && byteIndex + i < src.Length; i++) word |= (ulong)src[byteIndex + i] << (8 * i);
        return word;
    }

    /// <summary>Unpacks <c>dst.Length</c> values of width ≤ 32; <paramref name="src"/> must hold them all.</summary>
    public static void Unpack32(ReadOnlySpan<byte> src, int bitWidth, Span<int> dst)
    {
        if (bitWidth == 0)
        {
            dst.Clear();
            return;
        }
        uint mask = bitWidth == 32 ? uint.MaxValue : (1u << bitWidth) - 1;
        int fast = Math.Max(0, Math.Min(dst.Length, ((src.Length - 8) * 8) / bitWidth));
        long bitPos = 0;
        for (int i = 0; i < fast; i++, bitPos += bitWidth)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(src[(int)(bitPos >> 3)..]);
            dst[i] = (int)((uint)(word >> (int)(bitPos & 7)) & mask);
        }
        for (int i = fast; i < dst.Length; i++) dst[i] = (int)Read(src, i, bitWidth);
    }

    /// <summary>Packs <paramref name="values"/> (each &lt; 2^bitWidth) LSB-first into <paramref name="dst"/>.</summary>
    public static void Pack32(ReadOnlySpan<int> values, int bitWidth, Span<byte> dst)
    {
        dst.Clear();
        if (bitWidth == 0) return;
        long bitPos = 0;
        foreach (int v in values)
        {
            ulong bits = (uint)v;
            int byteIndex = (int)(bitPos >> 3);
            int shift = (int)(bitPos & 7);
            bits <<= shift;
            for (int k = 0; k < 5 && bits != 0; k++, bits >>= 8) dst[byteIndex + k] |= (byte)bits;
            bitPos += bitWidth;
        }
    }

    public static int BitWidth(uint maxValue) => maxValue == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount(maxValue);
}
