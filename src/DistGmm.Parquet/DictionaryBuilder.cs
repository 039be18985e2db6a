using System.Runtime.InteropServices;
using System.Text;
using DistGmm.Parquet.Encodings;

namespace DistGmm.Parquet;

/// <summary>Builds a column chunk dictionary (distinct values in first-seen order + one index per row), giving up
/// as soon as the column proves high-cardinality.</summary>
internal abstract class DictionaryBuilder
{
    public int[] Indices { get; protected init; } = [];

    public abstract int Count { get; }

    /// <summary>Bytes of the PLAIN-encoded dictionary page body.</summary>
    public long PlainSize { get; protected set; }

    public abstract void WritePlainValues(ByteBuffer output);

    /// <summary>The distinct values as the column would store them (for statistics).</summary>
    public abstract Array Values { get; }

    public static DictionaryBuilder? TryBuild(ParquetColumn column, int start, int count, int maxEntries)
    {
        var nulls = column.Nulls;
        switch (column.Field.PhysicalType)
        {
            case PhysicalType.Int32:
                return Numeric.Build<int, Int32Key>(column.Int32s!, nulls, start, count, maxEntries, 4);
            case PhysicalType.Int64:
                return Numeric.Build<long, Int64Key>(column.Int64s!, nulls, start, count, maxEntries, 8);
            case PhysicalType.Double:
                return Numeric.Build<double, DoubleKey>(column.Doubles!, nulls, start, count, maxEntries, 8);
            case PhysicalType.Float:
                return Numeric.Build<double, FloatKey>(column.Doubles!, nulls, start, count, maxEntries, 4);
            case PhysicalType.ByteArray when column.Strings is not null:
            {
                var v = column.Strings;
                return Typed<string>.Build(count, maxEntries, -1, i => v[start + i] is null, i => v[start + i]!, StringComparer.Ordinal);
            }
            default:
            {
                var v = column.Binaries!;
                return Typed<byte[]>.Build(count, maxEntries, column.Field.PhysicalType == PhysicalType.ByteArray ? -1 : -2,
                    i => v[start + i] is null, i => v[start + i]!, ByteArrayComparer.Instance);
            }
        }
    }

    private sealed class Typed<TKey> : DictionaryBuilder where TKey : notnull
    {
        private readonly List<TKey> _keys = [];
        private int _width; // >0 fixed width, -1 length-prefixed bytes/strings, -2 raw fixed bytes

        public override int Count => _keys.Count;

        public override Array Values => _keys.ToArray();

        public static Typed<TKey>? Build(int count, int maxEntries, int width, Func<int, bool> isNull, Func<int, TKey> key, IEqualityComparer<TKey>? comparer)
        {
            var map = new Dictionary<TKey, int>(comparer);
            var result = new Typed<TKey> { Indices = new int[count], _width = width };
            var indices = result.Indices;
            for (int i = 0; i < count; i++)
            {
                if (isNull(i)) continue;
                var k = key(i);
                ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(map, k, out bool exists);
                if (!exists)
                {
                    if (map.Count > maxEntries) return null;
                    slot = result._keys.Count;
                    result._keys.Add(k);
                    result.PlainSize += k switch
                    {
                        string s => 4 + Encoding.UTF8.GetByteCount(s),
                        byte[] b => (width == -1 ? 4 : 0) + b.Length,
                        _ => width,
                    };
                }
                indices[i] = slot;
            }
            return result;
        }

        public override void WritePlainValues(ByteBuffer output)
        {
            switch (_keys)
            {
                case List<string> strings:
                    foreach (var s in strings)
                    {
                        var bytes = Encoding.UTF8.GetBytes(s);
                        output.WriteInt32(bytes.Length);
                        output.Write(bytes);
                    }
                    break;
                case List<byte[]> binaries:
                    foreach (var b in binaries)
                    {
                        if (_width == -1) output.WriteInt32(b.Length);
                        output.Write(b);
                    }
                    break;
            }
        }
    }
}

/// <summary>Maps a numeric value to the 64-bit key whose low bytes are its PLAIN encoding (bit patterns for
/// floating point, so -0.0 and NaN payloads round-trip exactly).</summary>
internal interface INumericKey<T>
{
    static abstract long Key(T value);
}

internal readonly struct Int32Key : INumericKey<int> { public static long Key(int value) => value; }

internal readonly struct Int64Key : INumericKey<long> { public static long Key(long value) => value; }

internal readonly struct DoubleKey : INumericKey<double> { public static long Key(double value) => BitConverter.DoubleToInt64Bits(value); }

internal readonly struct FloatKey : INumericKey<double> { public static long Key(double value) => BitConverter.SingleToInt32Bits((float)value); }

/// <summary>Dictionary of a fixed-width numeric column, built with an open-addressing hash table of 64-bit keys
/// (no delegates or boxing per row: this runs over every value written).</summary>
internal sealed class Numeric : DictionaryBuilder
{
    private readonly List<long> _keys = [];
    private int _width;

    public override int Count => _keys.Count;

    public override Array Values => _width == 4 ? _keys.Select(k => (int)k).ToArray() : _keys.ToArray();

    public static Numeric? Build<T, TKey>(T[] values, bool[]? nulls, int start, int count, int maxEntries, int width)
        where TKey : INumericKey<T>
    {
        var result = new Numeric { Indices = new int[count], _width = width };
        var indices = result.Indices;
        var keys = result._keys;
        int capacity = 1024;
        var tableKeys = new long[capacity];
        var tableSlots = new int[capacity]; // dictionary index + 1; 0 = empty
        int mask = capacity - 1;
        for (int i = 0; i < count; i++)
        {
            if (nulls is not null && nulls[start + i]) continue;
            long key = TKey.Key(values[start + i]);
            int h = (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 40) & mask;
            while (true)
            {
                int slot = tableSlots[h];
                if (slot == 0)
                {
                    if (keys.Count >= maxEntries) return null;
                    keys.Add(key);
                    tableKeys[h] = key;
                    tableSlots[h] = keys.Count;
                    indices[i] = keys.Count - 1;
                    if (keys.Count * 2 > capacity)
                    {
                        capacity *= 2;
                        mask = capacity - 1;
                        Rehash(keys, capacity, out tableKeys, out tableSlots);
                    }
                    break;
                }
                if (tableKeys[h] == key)
                {
                    indices[i] = slot - 1;
                    break;
                }
                h = (h + 1) & mask;
            }
        }
        result.PlainSize = (long)keys.Count * width;
        return result;
    }

    private static void Rehash(List<long> keys, int capacity, out long[] tableKeys, out int[] tableSlots)
    {
        tableKeys = new long[capacity];
        tableSlots = new int[capacity];
        int mask = capacity - 1;
        for (int k = 0; k < keys.Count; k++)
        {
            int h = (int)(((ulong)keys[k] * 0x9E3779B97F4A7C15UL) >> 40) & mask;
            while (tableSlots[h] != 0) h = (h + 1) & mask;
            tableKeys[h] = keys[k];
            tableSlots[h] = k + 1;
        }
    }

    public override void WritePlainValues(ByteBuffer output)
    {
        var span = output.Append(_keys.Count * _width);
        for (int k = 0; k < _keys.Count; k++)
        {
            if (_width == 4) BitConverter.TryWriteBytes(span.Slice(4 * k, 4), (int)_keys[k]);
            else BitConverter.TryWriteBytes(span.Slice(8 * k, 8), _keys[k]);
        }
    }
}

internal sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IComparer<byte[]>
{
    public static ByteArrayComparer Instance { get; } = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var h = new HashCode();
        h.AddBytes(obj);
        return h.ToHashCode();
    }

    /// <summary>Unsigned lexicographic order (Parquet's order for binary statistics).</summary>
    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
