using System.Numerics;

namespace DistGmm.Parquet.Compression;

/// <summary>
/// Raw Snappy block encoder: greedy hash matching over 64 KiB fragments (so every copy offset fits two bytes),
/// with the usual skip heuristic that speeds through incompressible data.
/// </summary>
internal static unsafe class SnappyEncoder
{
    private const int FragmentSize = 1 << 16;
    private const int HashBits = 14;
    private const int InputMargin = 15;

    public static int MaxCompressedLength(int length) => 32 + length + length / 6;

    public static int Compress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        if (dst.Length < MaxCompressedLength(src.Length)) throw new ArgumentException("destination too small", nameof(dst));
        Span<ushort> table = stackalloc ushort[1 << HashBits];
        fixed (byte* s0 = src)
        fixed (byte* d0 = dst)
        {
            byte* d = d0;
            uint length = (uint)src.Length;
            while (length >= 0x80)
            {
                *d++ = (byte)(length | 0x80);
                length >>= 7;
            }
            *d++ = (byte)length;
            for (int start = 0; start < src.Length; start += FragmentSize)
            {
                int fragment = Math.Min(FragmentSize, src.Length - start);
                table.Clear();
                d = CompressFragment(s0 + start, fragment, d, table);
            }
            return (int)(d - d0);
        }
    }

    private static uint Load32(byte* p) => *(uint*)p;

    private static int Hash(uint v) => (int)((v * 0x1e35a7bdu) >> (32 - HashBits));

    private static byte* CompressFragment(byte* input, int length, byte* d, Span<ushort> table)
    {
        int nextEmit = 0;
        if (length >= InputMargin + 1)
        {
            int ipLimit = length - InputMargin;
            int ip = 1;
            while (true)
            {
                // Find a 4-byte match, stepping faster the longer nothing matches.
                int skip = 32;
                int candidate;
                while (true)
                {
                    uint current = Load32(input + ip);
                    int h = Hash(current);
                    candidate = table[h];
                    table[h] = (ushort)ip;
                    if (candidate < ip && Load32(input + candidate) == current) break;
                    ip += skip >> 5;
                    skip++;
                    if (ip > ipLimit) goto emitRemainder;
                }
                d = EmitLiteral(d, input + nextEmit, ip - nextEmit);
                do
                {
                    int matched = 4;
                    int limit = length - ip;
                    while (matched + 8 <= limit)
                    {
                        ulong x = *(ulong*)(input + ip + matched) ^ *(ulong*)(input + candidate + matched);
                        if (x != 0)
                        {
                            matched += BitOperations.TrailingZeroCount(x) >> 3;
                            goto found;
                        }
                        matched += 8;
                    }
                    while (matched < limit && input[ip + matched] == input[candidate + matched]) matched++;
                found:
                    d = EmitCopy(d, ip - candidate, matched);
                    ip += matched;
                    nextEmit = ip;
                    if (ip >= ipLimit) goto emitRemainder;
                    table[Hash(Load32(input + ip - 1))] = (ushort)(ip - 1);
                    uint here = Load32(input + ip);
                    int h = Hash(here);
                    candidate = table[h];
                    table[h] = (ushort)ip;
                    if (!(candidate < ip && Load32(input + candidate) == here)) break;
                }
                while (true);
                ip++;
                if (ip > ipLimit) goto emitRemainder;
            }
        }
    emitRemainder:
        if (nextEmit < length) d = EmitLiteral(d, input + nextEmit, length - nextEmit);
        return d;
    }

    private static byte* EmitLiteral(byte* d, byte* literal, int length)
    {
        int n = length - 1;
        if (n < 60) *d++ = (byte)(n << 2);
        else if (n < 1 << 8)
        {
            *d++ = 60 << 2;
            *d++ = (byte)n;
        }
        else if (n < 1 << 16)
        {
            *d++ = 61 << 2;
            *d++ = (byte)n;
            *d++ = (byte)(n >> 8);
        }
        else
        {
            *d++ = 62 << 2;
            *d++ = (byte)n;
            *d++ = (byte)(n >> 8);
            *d++ = (byte)(n >> 16);
        }
        Buffer.MemoryCopy(literal, d, length, length);
        return d + length;
    }

    private static byte* EmitCopy(byte* d, int offset, int length)
    {
        while (length >= 68)
        {
            d = EmitCopy2(d, offset, 64);
            length -= 64;
        }
        if (length > 64)
        {
            d = EmitCopy2(d, offset, 60);
            length -= 60;
        }
        if (length < 12 && offset < 2048)
        {
            *d++ = (byte)(1 | ((length - 4) << 2) | ((offset >> 8) << 5));
            *d++ = (byte)offset;
            return d;
        }
        return EmitCopy2(d, offset, length);
    }

    private static byte* EmitCopy2(byte* d, int offset, int length)
    {
        *d++ = (byte)(2 | ((length - 1) << 2));
        *d++ = (byte)offset;
        *d++ = (byte)(offset >> 8);
        return d;
    }
}
