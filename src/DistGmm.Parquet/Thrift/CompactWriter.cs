using System.Text;

namespace DistGmm.Parquet.Thrift;

/// <summary>Thrift compact-protocol encoder appending to a growable buffer.</summary>
internal sealed class CompactWriter
{
    private byte[] _buffer = new byte[256];
    private int _length;
    private readonly Stack<short> _lastIds = new();
    private short _lastFieldId;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public void Clear()
    {
        _length = 0;
        _lastFieldId = 0;
        _lastIds.Clear();
    }

    private void Ensure(int extra)
    {
        if (_length + extra <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
    }

    private void Byte(byte b)
    {
        Ensure(1);
        _buffer[_length++] = b;
    }

    private void Varint(ulong v)
    {
        Ensure(10);
        while (v >= 0x80)
        {
            _buffer[_length++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _buffer[_length++] = (byte)v;
    }

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    private void FieldHeader(short id, byte type)
    {
        int delta = id - _lastFieldId;
        if (delta is > 0 and <= 15) Byte((byte)((delta << 4) | type));
        else
        {
            Byte(type);
            Varint(ZigZag(id));
        }
        _lastFieldId = id;
    }

    public void I32(short id, int value)
    {
        FieldHeader(id, CompactType.I32);
        Varint(ZigZag(value));
    }

    public void I8(short id, sbyte value)
    {
        FieldHeader(id, CompactType.I8);
        Byte((byte)value);
    }

    public void I64(short id, long value)
    {
        FieldHeader(id, CompactType.I64);
        Varint(ZigZag(value));
    }

    public void Bool(short id, bool value) => FieldHeader(id, value ? CompactType.BoolTrue : CompactType.BoolFalse);

    public void Binary(short id, ReadOnlySpan<byte> value)
    {
        FieldHeader(id, CompactType.Binary);
        RawBinary(value);
    }

    public void String(short id, string value) => Binary(id, Encoding.UTF8.GetBytes(value));

    public void RawBinary(ReadOnlySpan<byte> value)
    {
        Varint((ulong)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    public void RawString(string value) => RawBinary(Encoding.UTF8.GetBytes(value));

    public void RawI32(int value) => Varint(ZigZag(value));

    public void BeginStruct(short id)
    {
        FieldHeader(id, CompactType.Struct);
        BeginStructElement();
    }

    /// <summary>A struct as a list element (no field header).</summary>
    public void BeginStructElement()
    {
        _lastIds.Push(_lastFieldId);
        _lastFieldId = 0;
    }

    public void EndStruct()
    {
        Byte(CompactType.Stop);
        _lastFieldId = _lastIds.Count > 0 ? _lastIds.Pop() : (short)0;
    }

    public void ListHeader(short id, byte elementType, int count)
    {
        FieldHeader(id, CompactType.List);
        if (count < 15) Byte((byte)((count << 4) | elementType));
        else
        {
            Byte((byte)(0xF0 | elementType));
            Varint((ulong)count);
        }
    }

    /// <summary>Ends the top-level struct.</summary>
    public void Stop() => Byte(CompactType.Stop);
}
