using System.Buffers.Binary;

namespace DistGmm.Numerics;

/// <summary>Little-endian writer for the versioned binary payloads (models, statistics, passes).</summary>
internal sealed class ByteWriter
{
    private byte[] _buffer = new byte[256];
    private int _length;

    public void Magic(uint magic, ushort version) { UInt32(magic); UInt16(version); }

    public void UInt16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(Grow(2), v); }
    public void UInt32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(Grow(4), v); }
    public void Int32(int v) { BinaryPrimitives.WriteInt32LittleEndian(Grow(4), v); }
    public void Int64(long v) { BinaryPrimitives.WriteInt64LittleEndian(Grow(8), v); }
    public void UInt64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(Grow(8), v); }
    public void Double(double v) { BinaryPrimitives.WriteDoubleLittleEndian(Grow(8), v); }
    public void Byte(byte v) { Grow(1)[0] = v; }

    public void Doubles(ReadOnlySpan<double> values)
    {
        Int32(values.Length);
        var dst = Grow(values.Length * 8);
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(dst.Slice(i * 8, 8), values[i]);
    }

    public void Jagged(double[][] rows)
    {
        Int32(rows.Length);
        foreach (var r in rows) Doubles(r);
    }

    /// <summary>
    /// Symmetric d×d matrices (row-major) as their upper triangles, row by row: half the bytes of <see cref="Jagged"/>.
    /// Each must be symmetric bit for bit (the reader mirrors the triangle), else this throws: nothing may be dropped.
    /// With <paramref name="symmetric"/> false, upper-triangular matrices instead: zero below the diagonal, else this throws.
    /// </summary>
    public void UpperTriangles(double[][] matrices, int d, string what, bool symmetric = true)
    {
        Int32(matrices.Length);
        foreach (var m in matrices)
        {
            if (m.Length != d * d) throw new InvalidOperationException($"{what}: a {m.Length}-value matrix is not {d}×{d}.");
            Int32(d * (d + 1) / 2);
            var dst = Grow(d * (d + 1) / 2 * 8);
            int at = 0;
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++, at += 8)
                {
                    double v = m[i * d + j];
                    if (symmetric && BitConverter.DoubleToInt64Bits(v) != BitConverter.DoubleToInt64Bits(m[j * d + i]))
                        throw new InvalidOperationException($"{what}: the matrix is not symmetric at ({i}, {j}); it cannot be sent as a triangle.");
                    if (!symmetric && j > i && BitConverter.DoubleToInt64Bits(m[j * d + i]) != 0)
                        throw new InvalidOperationException($"{what}: the matrix is not upper triangular at ({j}, {i}); it cannot be sent as a triangle.");
                    BinaryPrimitives.WriteDoubleLittleEndian(dst.Slice(at, 8), v);
                }
        }
    }

    /// <summary>Whether every matrix is d×d and symmetric bit for bit (then <see cref="UpperTriangles"/> keeps every value).</summary>
    public static bool AreSymmetric(double[][] matrices, int d)
    {
        foreach (var m in matrices)
        {
            if (m.Length != d * d) return false;
            for (int i = 0; i < d; i++)
                for (int j = i + 1; j < d; j++)
                    if (BitConverter.DoubleToInt64Bits(m[i * d + j]) != BitConverter.DoubleToInt64Bits(m[j * d + i])) return false;
        }
        return true;
    }

    public void Int64s(ReadOnlySpan<long> values)
    {
        Int32(values.Length);
        foreach (var v in values) Int64(v);
    }

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        Int32(bytes.Length);
        bytes.CopyTo(Grow(bytes.Length));
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private Span<byte> Grow(int n)
    {
        if (_length + n > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        var span = _buffer.AsSpan(_length, n);
        _length += n;
        return span;
    }
}

/// <summary>Reader matching <see cref="ByteWriter"/>; every failure names the payload and the byte offset.</summary>
internal ref struct ByteReader
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly string _what;
    private int _offset;

    public ByteReader(ReadOnlySpan<byte> bytes, string what) { _bytes = bytes; _what = what; _offset = 0; }

    public int Offset => _offset;

    public ushort Magic(uint magic, ushort maxVersion)
    {
        uint m = UInt32();
        if (m != magic) throw Error($"bad magic 0x{m:X8} (expected 0x{magic:X8})", 0);
        int at = _offset;
        ushort v = UInt16();
        if (v == 0 || v > maxVersion) throw Error($"unsupported version {v} (this build reads 1..{maxVersion})", at);
        return v;
    }

    public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
    public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));
    public byte Byte() => Take(1)[0];

    public int Count(long maxElementsBySize, int elementSize)
    {
        int at = _offset;
        int n = Int32();
        if (n < 0 || (long)n * elementSize > _bytes.Length - _offset)
            throw Error($"length {n} does not fit the remaining {_bytes.Length - _offset} bytes", at);
        _ = maxElementsBySize;
        return n;
    }

    public double[] Doubles()
    {
        int n = Count(0, 8);
        var result = new double[n];
        var src = Take(n * 8);
        for (int i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadDoubleLittleEndian(src.Slice(i * 8, 8));
        return result;
    }

    public double[][] Jagged()
    {
        int n = Count(0, 4);
        var rows = new double[n][];
        for (int i = 0; i < n; i++) rows[i] = Doubles();
        return rows;
    }

    /// <summary>
    /// Matrices written by <see cref="ByteWriter.UpperTriangles"/>, each a full symmetric d×d again (or, not
    /// <paramref name="symmetric"/>, upper triangular with zeros below the diagonal).
    /// </summary>
    public double[][] UpperTriangles(int d, bool symmetric = true)
    {
        int n = Count(0, 4);
        var matrices = new double[n][];
        for (int c = 0; c < n; c++)
        {
            int at = _offset;
            var packed = Doubles();
            if (packed.Length != d * (d + 1) / 2)
                throw Error($"matrix {c}: {packed.Length} values, expected the {d * (d + 1) / 2} of a {d}×{d} upper triangle", at);
            var m = new double[d * d];
            int p = 0;
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++, p++)
                {
                    m[i * d + j] = packed[p];
                    if (symmetric) m[j * d + i] = packed[p];
                }
            matrices[c] = m;
        }
        return matrices;
    }

    public long[] Int64s()
    {
        int n = Count(0, 8);
        var result = new long[n];
        for (int i = 0; i < n; i++) result[i] = Int64();
        return result;
    }

    public ReadOnlySpan<byte> Bytes()
    {
        int n = Count(0, 1);
        return Take(n);
    }

    public void End()
    {
        if (_offset != _bytes.Length) throw Error($"{_bytes.Length - _offset} trailing bytes", _offset);
    }

    public FormatException Error(string message, int offset) =>
        new($"{_what}: {message} at byte offset {offset}.");

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _offset + n > _bytes.Length)
            throw Error($"truncated: need {n} bytes, {_bytes.Length - _offset} left", _offset);
        var s = _bytes.Slice(_offset, n);
        _offset += n;
        return s;
    }
}
