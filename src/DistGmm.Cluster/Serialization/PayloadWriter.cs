using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace DistGmm.Cluster.Serialization;

/// <summary>
/// Builds binary payloads: little-endian integers and float64, length-prefixed strings and arrays. Numeric
/// arrays (parameters, statistics) are copied as raw little-endian float64, bit-exact, never as text.
/// </summary>
public sealed class PayloadWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public PayloadWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public int Length => _buffer.WrittenCount;

    public PayloadWriter WriteByte(byte value) { _buffer.GetSpan(1)[0] = value; _buffer.Advance(1); return this; }

    public PayloadWriter WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public PayloadWriter WriteInt32(int value) { BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value); _buffer.Advance(4); return this; }

    public PayloadWriter WriteInt64(long value) { BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); return this; }

    public PayloadWriter WriteDouble(double value) { BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); return this; }

    public PayloadWriter WriteGuid(Guid value) { value.TryWriteBytes(_buffer.GetSpan(16)); _buffer.Advance(16); return this; }

    public PayloadWriter WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
        return this;
    }

    /// <summary>A count (int32) followed by the values as little-endian float64.</summary>
    public PayloadWriter WriteDoubles(ReadOnlySpan<double> values)
    {
        WriteInt32(values.Length);
        var destination = _buffer.GetSpan(values.Length * sizeof(double))[..(values.Length * sizeof(double))];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(values).CopyTo(destination);
        else
            for (var i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteDoubleLittleEndian(destination[(i * 8)..], values[i]);
        _buffer.Advance(destination.Length);
        return this;
    }

    public PayloadWriter WriteInt32s(ReadOnlySpan<int> values)
    {
        WriteInt32(values.Length);
        foreach (var value in values) WriteInt32(value);
        return this;
    }

    public PayloadWriter WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteInt32(bytes.Length);
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
        return this;
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
