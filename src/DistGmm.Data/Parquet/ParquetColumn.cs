using System.Buffers.Binary;
using System.Numerics;

namespace DistGmm.Data.Parquet;

/// <summary>
/// The values of one column chunk (one row group), indexed by row. Exactly one value array is set, chosen by the
/// physical type: BOOLEAN → <see cref="Booleans"/>, INT32 → <see cref="Int32s"/>, INT64 → <see cref="Int64s"/>,
/// FLOAT/DOUBLE → <see cref="Doubles"/> (FLOAT widened exactly), BYTE_ARRAY with a STRING/ENUM/JSON annotation →
/// <see cref="Strings"/>, other BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY and INT96 → <see cref="Binaries"/>.
/// Arrays may be longer than <see cref="Count"/>; slots of null rows hold default values.
/// </summary>
public sealed class ParquetColumn
{
    private ParquetColumn(ParquetField field, int count, bool[]? nulls)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (nulls is not null)
        {
            if (nulls.Length < count) throw new ArgumentException($"isNull has {nulls.Length} entries, fewer than count {count}.");
            if (!field.IsNullable && Array.IndexOf(nulls, true, 0, count) >= 0)
                throw new ArgumentException($"Column '{field.Name}' is REQUIRED but isNull marks a null.");
        }
        Field = field;
        Count = count;
        Nulls = nulls;
    }

    public ParquetField Field { get; }

    public int Count { get; }

    /// <summary>Null flags by row, or null when the column chunk has no nulls.</summary>
    public bool[]? Nulls { get; }

    public double[]? Doubles { get; private init; }

    public long[]? Int64s { get; private init; }

    public int[]? Int32s { get; private init; }

    public string?[]? Strings { get; private init; }

    public byte[]?[]? Binaries { get; private init; }

    public bool[]? Booleans { get; private init; }

    public bool IsNull(int i) => Nulls is { } n && n[i];

    public int NullCount => Nulls is null ? 0 : Nulls.AsSpan(0, Count).Count(true);

    public static ParquetColumn FromDoubles(ParquetField f, double[] values, int count, bool[]? isNull = null)
    {
        Expect(f, values, count, PhysicalType.Double, PhysicalType.Float);
        return new ParquetColumn(f, count, isNull) { Doubles = values };
    }

    public static ParquetColumn FromInt64s(ParquetField f, long[] values, int count, bool[]? isNull = null)
    {
        Expect(f, values, count, PhysicalType.Int64);
        return new ParquetColumn(f, count, isNull) { Int64s = values };
    }

    public static ParquetColumn FromInt32s(ParquetField f, int[] values, int count, bool[]? isNull = null)
    {
        Expect(f, values, count, PhysicalType.Int32);
        return new ParquetColumn(f, count, isNull) { Int32s = values };
    }

    public static ParquetColumn FromBooleans(ParquetField f, bool[] values, int count, bool[]? isNull = null)
    {
        Expect(f, values, count, PhysicalType.Boolean);
        return new ParquetColumn(f, count, isNull) { Booleans = values };
    }

    /// <summary>Strings for a STRING/ENUM/JSON BYTE_ARRAY field; a null entry is a null value.</summary>
    public static ParquetColumn FromStrings(ParquetField f, string?[] values, int count)
    {
        Expect(f, values, count, PhysicalType.ByteArray);
        if (!f.IsString) throw new ArgumentException($"Field '{f.Name}' is BYTE_ARRAY without a STRING annotation; use FromBinaries.");
        return new ParquetColumn(f, count, NullsOf(f, values, count)) { Strings = values };
    }

    /// <summary>Raw bytes for BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY (each of TypeLength bytes) or INT96 (12 bytes); null entry = null.</summary>
    public static ParquetColumn FromBinaries(ParquetField f, byte[]?[] values, int count)
    {
        Expect(f, values, count, PhysicalType.ByteArray, PhysicalType.FixedLenByteArray, PhysicalType.Int96);
        int width = f.PhysicalType switch { PhysicalType.FixedLenByteArray => f.TypeLength, PhysicalType.Int96 => 12, _ => -1 };
        if (width >= 0)
        {
            for (int i = 0; i < count; i++)
                if (values[i] is { } v && v.Length != width)
                    throw new ArgumentException($"Column '{f.Name}' row {i}: {v.Length} bytes, expected {width}.");
        }
        return new ParquetColumn(f, count, NullsOf(f, values, count)) { Binaries = values };
    }

    internal static ParquetColumn Create(ParquetField f, int count, bool[]? nulls, Array values) => values switch
    {
        double[] d => new ParquetColumn(f, count, nulls) { Doubles = d },
        long[] l => new ParquetColumn(f, count, nulls) { Int64s = l },
        int[] n => new ParquetColumn(f, count, nulls) { Int32s = n },
        bool[] b => new ParquetColumn(f, count, nulls) { Booleans = b },
        string?[] s => new ParquetColumn(f, count, nulls) { Strings = s },
        byte[]?[] x => new ParquetColumn(f, count, nulls) { Binaries = x },
        _ => throw new ArgumentException("unsupported value array"),
    };

    private static void Expect(ParquetField f, Array values, int count, params PhysicalType[] allowed)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(values);
        if (Array.IndexOf(allowed, f.PhysicalType) < 0)
            throw new ArgumentException($"Field '{f.Name}' is {f.PhysicalType}; this factory takes {string.Join("/", allowed)}.");
        if ((uint)count > (uint)values.Length) throw new ArgumentOutOfRangeException(nameof(count), $"count {count} exceeds the {values.Length} values given.");
    }

    private static bool[]? NullsOf<T>(ParquetField f, T?[] values, int count) where T : class
    {
        bool[]? nulls = null;
        for (int i = 0; i < count; i++)
        {
            if (values[i] is not null) continue;
            if (!f.IsNullable) throw new ArgumentException($"Column '{f.Name}' is REQUIRED but row {i} is null.");
            nulls ??= new bool[count];
            nulls[i] = true;
        }
        return nulls;
    }

    /// <summary>
    /// The value of row <paramref name="i"/>, boxed, with its logical meaning applied: null; bool; int (INT32,
    /// DATE days, TIME millis); long (INT64, TIMESTAMP/TIME raw units; unsigned INT32); ulong (unsigned INT64);
    /// double (FLOAT, DOUBLE, FLOAT16); decimal or exact decimal string (DECIMAL); string (STRING/ENUM/JSON, UUID
    /// text); BigInteger nanoseconds since the epoch (INT96); byte[] (other binary). Not for hot paths.
    /// </summary>
    public object? GetValue(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i));
        if (IsNull(i)) return null;
        var logical = Field.Logical;
        var kind = logical?.Kind ?? LogicalKind.None;
        switch (Field.PhysicalType)
        {
            case PhysicalType.Boolean: return Booleans![i];
            case PhysicalType.Int32:
            {
                int v = Int32s![i];
                if (kind == LogicalKind.Decimal) return DecimalValue.Format(new BigInteger(v), logical!.Scale);
                if (kind == LogicalKind.Integer && !logical!.IsSigned)
                    return logical.BitWidth switch { 8 => (int)(byte)v, 16 => (int)(ushort)v, _ => (long)(uint)v };
                return v;
            }
            case PhysicalType.Int64:
            {
                long v = Int64s![i];
                if (kind == LogicalKind.Decimal) return DecimalValue.Format(new BigInteger(v), logical!.Scale);
                if (kind == LogicalKind.Integer && !logical!.IsSigned) return (ulong)v;
                return v;
            }
            case PhysicalType.Float:
            case PhysicalType.Double: return Doubles![i];
            case PhysicalType.Int96: return Int96.ToNanoseconds(Binaries![i]!);
            case PhysicalType.ByteArray when Strings is not null: return Strings[i];
            default:
            {
                byte[] bytes = Binaries![i]!;
                if (kind == LogicalKind.Decimal) return DecimalValue.Format(DecimalValue.FromBigEndian(bytes), logical!.Scale);
                if (kind == LogicalKind.Float16 && bytes.Length == 2) return (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes));
                if (kind == LogicalKind.Uuid && bytes.Length == 16) return new Guid(bytes, bigEndian: true).ToString("D");
                return bytes;
            }
        }
    }

    /// <summary>Row <paramref name="i"/> as a double: numbers and decimals converted, null → NaN.</summary>
    public double GetDouble(int i)
    {
        if (IsNull(i)) return double.NaN;
        var logical = Field.Logical;
        bool isDecimal = logical?.Kind == LogicalKind.Decimal;
        switch (Field.PhysicalType)
        {
            case PhysicalType.Float:
            case PhysicalType.Double: return Doubles![i];
            case PhysicalType.Int32: return isDecimal ? DecimalValue.Scale(Int32s![i], logical!.Scale) : Int32s![i];
            case PhysicalType.Int64: return isDecimal ? DecimalValue.Scale(Int64s![i], logical!.Scale) : Int64s![i];
            case PhysicalType.Boolean: return Booleans![i] ? 1 : 0;
            default:
                if (Binaries?[i] is { } b)
                {
                    if (isDecimal) return (double)DecimalValue.FromBigEndian(b) / Math.Pow(10, logical!.Scale);
                    if (logical?.Kind == LogicalKind.Float16 && b.Length == 2) return (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(b));
                }
                throw new InvalidOperationException($"Column '{Field.Name}' ({Field.PhysicalType}) is not numeric.");
        }
    }
}
