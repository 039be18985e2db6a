using System.Text;

namespace DistGmm.Parquet.Thrift;

/// <summary>
/// Thrift compact-protocol decoder over an in-memory span. Every length and count is checked against the
/// remaining bytes before anything is allocated, and nesting depth is bounded, so corrupt input can only
/// produce a <see cref="ParquetFormatException"/>.
/// </summary>
internal ref struct CompactReader
{
    private const int MaxDepth = 64;
    private readonly ReadOnlySpan<byte> _data;
    private readonly long _baseOffset;
    private readonly string _file;
    private int _pos;
    private short _lastFieldId;
    private int _depth;

    public CompactReader(ReadOnlySpan<byte> data, string file, long baseOffset)
    {
        _data = data;
        _file = file;
        _baseOffset = baseOffset;
    }

    public readonly int Position => _pos;

    public readonly int Remaining => _data.Length - _pos;

    public readonly ParquetFormatException Error(string message) =>
        new(_file, _baseOffset + _pos, "corrupt Thrift metadata: " + message);

    /// <summary>Enters a struct; returns the state to hand back to <see cref="EndStruct"/>.</summary>
    public short BeginStruct()
    {
        if (++_depth > MaxDepth) throw Error("structures nested too deeply");
        var saved = _lastFieldId;
        _lastFieldId = 0;
        return saved;
    }

    public void EndStruct(short saved)
    {
        _depth--;
        _lastFieldId = saved;
    }

    /// <summary>Reads the next field header; false at the struct's STOP.</summary>
    public bool NextField(out short id, out byte type)
    {
        byte header = ReadByte();
        type = (byte)(header & 0x0F);
        if (type == CompactType.Stop)
        {
            id = 0;
            return false;
        }
        int delta = header >> 4;
        if (delta != 0) id = unchecked((short)(_lastFieldId + delta));
        else
        {
            int explicitId = ZigZag32(ReadVarint32());
            if (explicitId is < short.MinValue or > short.MaxValue) throw Error($"field id {explicitId} out of range");
            id = (short)explicitId;
        }
        if (type > CompactType.Struct) throw Error($"unknown wire type {type} for field {id}");
        _lastFieldId = id;
        return true;
    }

    public byte ReadByte()
    {
        if (_pos >= _data.Length) throw Error("unexpected end of data");
        return _data[_pos++];
    }

    public uint ReadVarint32()
    {
        uint result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = ReadByte();
            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Error("varint too long");
    }

    public ulong ReadVarint64()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Error("varint too long");
    }

    private static int ZigZag32(uint v) => (int)(v >> 1) ^ -(int)(v & 1);

    private static long ZigZag64(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    /// <summary>Reads an integer field of any integer wire type as Int64; other wire types are skipped.</summary>
    public bool TryInt(byte type, out long value)
    {
        switch (type)
        {
            case CompactType.I8: value = (sbyte)ReadByte(); return true;
            case CompactType.I16:
            case CompactType.I32:
            case CompactType.I64: value = ZigZag64(ReadVarint64()); return true;
            default: Skip(type); value = 0; return false;
        }
    }

    public bool TryInt32(byte type, out int value)
    {
        int start = _pos;
        if (TryInt(type, out long v))
        {
            if (v is < int.MinValue or > int.MaxValue)
            {
                _pos = start;
                throw Error($"value {v} does not fit a 32-bit field");
            }
            value = (int)v;
            return true;
        }
        value = 0;
        return false;
    }

    public bool TryBool(byte type, out bool value)
    {
        if (type is CompactType.BoolTrue or CompactType.BoolFalse)
        {
            value = type == CompactType.BoolTrue;
            return true;
        }
        Skip(type);
        value = false;
        return false;
    }

    public bool TryBinary(byte type, out ReadOnlySpan<byte> value)
    {
        if (type != CompactType.Binary)
        {
            Skip(type);
            value = default;
            return false;
        }
        value = ReadBinary();
        return true;
    }

    public bool TryString(byte type, out string value)
    {
        if (TryBinary(type, out var bytes))
        {
            value = Encoding.UTF8.GetString(bytes);
            return true;
        }
        value = "";
        return false;
    }

    public ReadOnlySpan<byte> ReadBinary()
    {
        uint length = ReadVarint32();
        if (length > (uint)Remaining) throw Error($"binary length {length} exceeds the {Remaining} remaining bytes");
        var slice = _data.Slice(_pos, (int)length);
        _pos += (int)length;
        return slice;
    }

    /// <summary>Reads a list header. Each element takes at least one byte (except booleans... which also take one
    /// in lists), so a count above the remaining bytes is corrupt.</summary>
    public int ReadListHeader(out byte elementType)
    {
        byte header = ReadByte();
        elementType = (byte)(header & 0x0F);
        int count = header >> 4;
        if (count == 15)
        {
            uint big = ReadVarint32();
            if (big > int.MaxValue) throw Error($"list size {big} is negative or too large");
            count = (int)big;
        }
        if (count > Remaining) throw Error($"list of {count} elements exceeds the {Remaining} remaining bytes");
        return count;
    }

    /// <summary>A list field, or false (skipped) if the wire type is not a list.</summary>
    public bool TryList(byte type, out int count, out byte elementType)
    {
        if (type is not (CompactType.List or CompactType.Set))
        {
            Skip(type);
            count = 0;
            elementType = 0;
            return false;
        }
        count = ReadListHeader(out elementType);
        return true;
    }

    /// <summary>Skips a value of any wire type (unknown fields, unknown union members).</summary>
    public void Skip(byte type)
    {
        if (++_depth > MaxDepth) throw Error("structures nested too deeply");
        switch (type)
        {
            case CompactType.BoolTrue:
            case CompactType.BoolFalse:
                break;
            case CompactType.I8:
                ReadByte();
                break;
            case CompactType.I16:
            case CompactType.I32:
            case CompactType.I64:
                ReadVarint64();
                break;
            case CompactType.Double:
                if (Remaining < 8) throw Error("unexpected end of data");
                _pos += 8;
                break;
            case CompactType.Binary:
                ReadBinary();
                break;
            case CompactType.List:
            case CompactType.Set:
            {
                int count = ReadListHeader(out byte elementType);
                for (int i = 0; i < count; i++) SkipElement(elementType);
                break;
            }
            case CompactType.Map:
            {
                uint count = ReadVarint32();
                if (count > (uint)Remaining) throw Error($"map of {count} entries exceeds the remaining bytes");
                if (count > 0)
                {
                    byte kinds = ReadByte();
                    for (int i = 0; i < count; i++)
                    {
                        SkipElement((byte)(kinds >> 4));
                        SkipElement((byte)(kinds & 0x0F));
                    }
                }
                break;
            }
            case CompactType.Struct:
            {
                var saved = BeginStruct();
                while (NextField(out _, out byte fieldType)) Skip(fieldType);
                EndStruct(saved);
                break;
            }
            default:
                throw Error($"unknown wire type {type}");
        }
        _depth--;
    }

    /// <summary>Collection elements: booleans take one byte there, unlike struct fields.</summary>
    public void SkipElement(byte type)
    {
        if (type is CompactType.BoolTrue or CompactType.BoolFalse) ReadByte();
        else Skip(type);
    }

    public bool ReadBoolElement() => ReadByte() == CompactType.BoolTrue;
}
