using System.Buffers.Binary;

namespace DistGmm.Parquet.Encodings;

/// <summary>A reusable growable byte buffer (page and chunk assembly on the write path).</summary>
internal sealed class ByteBuffer(int capacity = 4096)
{
    private byte[] _data = new byte[Math.Max(16, capacity)];

    public int Length { get; private set; }

    public Span<byte> Span => _data.AsSpan(0, Length);

    public byte[] Array => _data;

    public void Clear() => Length = 0;

    public void Ensure(int extra)
    {
        if (Length + extra <= _data.Length) return;
        long want = Math.Max((long)_data.Length * 2, (long)Length + extra);
        System.Array.Resize(ref _data, (int)Math.Min(want, System.Array.MaxLength));
    }

    /// <summary>Reserves <paramref name="count"/> bytes at the end and returns them for direct writing.</summary>
    public Span<byte> Append(int count)
    {
        Ensure(count);
        var span = _data.AsSpan(Length, count);
        Length += count;
        return span;
    }

    public void SetLength(int length) => Length = length;

    public void WriteByte(byte b)
    {
        Ensure(1);
        _data[Length++] = b;
    }

    public void Write(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Append(bytes.Length));

    public void WriteInt32(int v) => BinaryPrimitives.WriteInt32LittleEndian(Append(4), v);

    public void WriteVarint(ulong v)
    {
        Ensure(10);
        while (v >= 0x80)
        {
            _data[Length++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _data[Length++] = (byte)v;
    }
}
