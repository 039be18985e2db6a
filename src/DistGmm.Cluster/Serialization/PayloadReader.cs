using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace DistGmm.Cluster.Serialization;

/// <summary>Reads what <see cref="PayloadWriter"/> wrote; a short or corrupt payload fails naming the offset.</summary>
public ref struct PayloadReader(ReadOnlySpan<byte> payload, string messageType)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _offset;

    public readonly int Offset => _offset;

    /// <summary>The message type being read (named in every error).</summary>
    public readonly string MessageType => messageType;

    public readonly int Remaining => _payload.Length - _offset;

    public byte ReadByte() => Take(1, "byte")[0];

    public bool ReadBool() => Take(1, "bool")[0] switch
    {
        0 => false,
        1 => true,
        var other => throw Error($"bool byte is {other}", _offset - 1),
    };

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4, "int32"));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8, "int64"));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, "float64"));

    public Guid ReadGuid() => new(Take(16, "guid"));

    public string ReadString()
    {
        var length = ReadCount("string");
        return Encoding.UTF8.GetString(Take(length, "string"));
    }

    public double[] ReadDoubles()
    {
        var count = ReadCount("float64 array", sizeof(double));
        var bytes = Take(count * sizeof(double), "float64 array");
        var values = new double[count];
        if (BitConverter.IsLittleEndian)
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else
            for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
        return values;
    }

    public int[] ReadInt32s()
    {
        var count = ReadCount("int32 array", sizeof(int));
        var values = new int[count];
        for (var i = 0; i < count; i++) values[i] = ReadInt32();
        return values;
    }

    public byte[] ReadBytes()
    {
        var length = ReadCount("byte array");
        return Take(length, "byte array").ToArray();
    }

    /// <summary>Call after the last field: trailing bytes mean writer and reader disagree on the layout.</summary>
    public readonly void EnsureEnd()
    {
        if (_offset != _payload.Length) throw Error($"{_payload.Length - _offset} unexpected trailing bytes", _offset);
    }

    private int ReadCount(string what, int elementBytes = 1)
    {
        var at = _offset;
        var count = ReadInt32();
        if (count < 0 || (long)count * elementBytes > Remaining)
            throw Error($"{what} length {count} does not fit the {Remaining} remaining bytes", at);
        return count;
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining) throw Error($"truncated: {what} needs {count} bytes, {Remaining} remain", _offset);
        var slice = _payload.Slice(_offset, count);
        _offset += count;
        return slice;
    }

    private readonly MessageSerializationException Error(string problem, int offset) =>
        new($"payload of '{messageType}' at byte offset {offset}: {problem}");
}
