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
            {
                var v = column.Int32s!;
                return Typed<int>.Build(count, maxEntries, 4, i => nulls is not null && nulls[start + i], i => v[start + i], null);
            }
            case PhysicalType.Int64:
            {
                var v = column.Int64s!;
                return Typed<long>.Build(count, maxEntries, 8, i => nulls is not null && nulls[start + i], i => v[start + i], null);
            }
            case PhysicalType.Double:
            {
                // Keyed by bit pattern so -0.0 and NaN payloads round-trip exactly.
                var v = column.Doubles!;
                return Typed<long>.Build(count, maxEntries, 8, i => nulls is not null && nulls[start + i], i => BitConverter.DoubleToInt64Bits(v[start + i]), null);
            }
            case PhysicalType.Float:
            {
                var v = column.Doubles!;
                return Typed<int>.Build(count, maxEntries, 4, i => nulls is not null && nulls[start + i], i => BitConverter.SingleToInt32Bits((float)v[start + i]), null);
            }
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
                case List<int> ints:
                    output.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(ints)));
                    break;
                case List<long> longs:
                    output.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(longs)));
                    break;
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
