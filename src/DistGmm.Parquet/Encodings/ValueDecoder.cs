using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace DistGmm.Parquet.Encodings;

/// <summary>Turns raw bytes into .NET values (byte[] or string) for BYTE_ARRAY-like columns.</summary>
internal interface IBinaryFactory<T>
{
    static abstract T Create(ReadOnlySpan<byte> bytes);
}

internal readonly struct BytesFactory : IBinaryFactory<byte[]?>
{
    public static byte[]? Create(ReadOnlySpan<byte> bytes) => bytes.ToArray();
}

internal readonly struct StringFactory : IBinaryFactory<string?>
{
    public static string? Create(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}

/// <summary>
/// Decodes the non-null values of one page (or a dictionary page) for every supported encoding. T is the storage type:
/// bool, int, long, double (FLOAT widened), byte[] (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96) or string.
/// </summary>
internal sealed class ValueDecoder(PhysicalType physicalType, int typeLength)
{
    private int[] _indices = [];
    private long[] _longs = [];

    public PhysicalType PhysicalType { get; } = physicalType;

    public int TypeLength { get; } = physicalType == PhysicalType.Int96 ? 12 : typeLength;

    public void Decode<T>(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<T> output, T[]? dictionary)
    {
        if (output.IsEmpty) return;
        switch (encoding)
        {
            case ParquetEncoding.Plain:
                DecodePlain(data, output);
                break;
            case ParquetEncoding.PlainDictionary:
            case ParquetEncoding.RleDictionary:
                if (dictionary is null) throw new DecodeException($"{encoding} page without a dictionary page");
                Gather(data, output, dictionary);
                break;
            case ParquetEncoding.Rle when typeof(T) == typeof(bool):
                DecodeRleBooleans(data, Cast<T, bool>(output));
                break;
            case ParquetEncoding.DeltaBinaryPacked when typeof(T) == typeof(int) || typeof(T) == typeof(long):
                DecodeDelta(data, output);
                break;
            case ParquetEncoding.DeltaLengthByteArray when PhysicalType == PhysicalType.ByteArray:
                DecodeBinaries(encoding, data, output);
                break;
            case ParquetEncoding.DeltaByteArray when PhysicalType is PhysicalType.ByteArray or PhysicalType.FixedLenByteArray:
                DecodeBinaries(encoding, data, output);
                break;
            case ParquetEncoding.ByteStreamSplit when PhysicalType is not (PhysicalType.Boolean or PhysicalType.ByteArray or PhysicalType.Int96):
                DecodeByteStreamSplit(data, output);
                break;
            default:
                throw new DecodeException($"encoding {encoding} is not supported for {PhysicalType} values");
        }
    }

    private static Span<TTo> Cast<TFrom, TTo>(Span<TFrom> span) =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<TFrom, TTo>(ref MemoryMarshal.GetReference(span)), span.Length);

    private int ValueWidth => PhysicalType switch
    {
        PhysicalType.Int32 or PhysicalType.Float => 4,
        PhysicalType.Int64 or PhysicalType.Double => 8,
        _ => TypeLength,
    };

    private void DecodePlain<T>(ReadOnlySpan<byte> data, Span<T> output)
    {
        int n = output.Length;
        if (typeof(T) == typeof(bool))
        {
            if ((long)n > (long)data.Length * 8) throw Short(n, data.Length);
            var dst = Cast<T, bool>(output);
            for (int i = 0; i < n; i++) dst[i] = ((data[i >> 3] >> (i & 7)) & 1) != 0;
        }
        else if (typeof(T) == typeof(int))
        {
            CheckFixed(n, 4, data.Length);
            MemoryMarshal.Cast<byte, int>(data[..(n * 4)]).CopyTo(Cast<T, int>(output));
        }
        else if (typeof(T) == typeof(long))
        {
            CheckFixed(n, 8, data.Length);
            MemoryMarshal.Cast<byte, long>(data[..(n * 8)]).CopyTo(Cast<T, long>(output));
        }
        else if (typeof(T) == typeof(double))
        {
            var dst = Cast<T, double>(output);
            if (PhysicalType == PhysicalType.Float)
            {
                CheckFixed(n, 4, data.Length);
                var src = MemoryMarshal.Cast<byte, float>(data[..(n * 4)]);
                for (int i = 0; i < n; i++) dst[i] = src[i];
            }
            else
            {
                CheckFixed(n, 8, data.Length);
                MemoryMarshal.Cast<byte, double>(data[..(n * 8)]).CopyTo(dst);
            }
        }
        else if (typeof(T) == typeof(string)) PlainBinaries<StringFactory, string?>(data, Cast<T, string?>(output));
        else PlainBinaries<BytesFactory, byte[]?>(data, Cast<T, byte[]?>(output));
    }

    private void PlainBinaries<TFactory, TValue>(ReadOnlySpan<byte> data, Span<TValue> output)
        where TFactory : IBinaryFactory<TValue>
    {
        if (PhysicalType == PhysicalType.ByteArray)
        {
            int pos = 0;
            for (int i = 0; i < output.Length; i++)
            {
                if (pos + 4 > data.Length) throw Short(output.Length, data.Length);
                int length = BinaryPrimitives.ReadInt32LittleEndian(data[pos..]);
                pos += 4;
                if (length < 0 || length > data.Length - pos) throw new DecodeException($"BYTE_ARRAY value {i} has length {length}, beyond the {data.Length - pos} bytes left");
                output[i] = TFactory.Create(data.Slice(pos, length));
                pos += length;
            }
        }
        else
        {
            int width = TypeLength;
            if (width <= 0) throw new DecodeException($"fixed-length values need a positive type_length, got {width}");
            CheckFixed(output.Length, width, data.Length);
            for (int i = 0; i < output.Length; i++) output[i] = TFactory.Create(data.Slice(i * width, width));
        }
    }

    private static void CheckFixed(int count, int width, int available)
    {
        if ((long)count * width > available) throw Short(count, available);
    }

    private static DecodeException Short(int count, int available) =>
        new($"page holds {available} value bytes, too few for {count} values");

    private void Gather<T>(ReadOnlySpan<byte> data, Span<T> output, T[] dictionary)
    {
        if (data.IsEmpty) throw new DecodeException("dictionary-encoded page has no bit-width byte");
        int bitWidth = data[0];
        var indices = Scratch(ref _indices, output.Length);
        RleHybrid.Decode(data[1..], bitWidth, indices);
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)dictionary.Length) throw new DecodeException($"dictionary index {index} outside the dictionary of {dictionary.Length} values");
            output[i] = dictionary[index];
        }
    }

    private static Span<TItem> Scratch<TItem>(ref TItem[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new TItem[Math.Max(length, buffer.Length * 2)];
        return buffer.AsSpan(0, length);
    }

    private void DecodeRleBooleans(ReadOnlySpan<byte> data, Span<bool> output)
    {
        if (data.Length < 4) throw new DecodeException("RLE boolean data lacks its 4-byte length");
        int length = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (length < 0 || length > data.Length - 4) throw new DecodeException($"RLE boolean length {length} exceeds the {data.Length - 4} bytes left");
        var values = Scratch(ref _indices, output.Length);
        RleHybrid.Decode(data.Slice(4, length), 1, values);
        for (int i = 0; i < values.Length; i++) output[i] = values[i] != 0;
    }

    private void DecodeDelta<T>(ReadOnlySpan<byte> data, Span<T> output)
    {
        var longs = Scratch(ref _longs, output.Length);
        DeltaBinaryPacked.Decode(data, longs, out int count);
        if (count != output.Length) throw new DecodeException($"DELTA_BINARY_PACKED holds {count} values, the page needs {output.Length}");
        if (typeof(T) == typeof(long)) longs.CopyTo(Cast<T, long>(output));
        else
        {
            var ints = Cast<T, int>(output);
            for (int i = 0; i < ints.Length; i++) ints[i] = unchecked((int)longs[i]);
        }
    }

    private void DecodeBinaries<T>(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<T> output)
    {
        if (typeof(T) == typeof(string)) DeltaBinaries<StringFactory, string?>(encoding, data, Cast<T, string?>(output));
        else if (typeof(T) == typeof(byte[])) DeltaBinaries<BytesFactory, byte[]?>(encoding, data, Cast<T, byte[]?>(output));
        else throw new DecodeException($"encoding {encoding} is not supported for {PhysicalType} values");
    }

    private void DeltaBinaries<TFactory, TValue>(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<TValue> output)
        where TFactory : IBinaryFactory<TValue>
    {
        int n = output.Length;
        var lengths = Scratch(ref _longs, 2 * n);
        var prefixes = lengths[n..];
        lengths = lengths[..n];
        int pos = 0;
        if (encoding == ParquetEncoding.DeltaByteArray)
        {
            pos = DeltaBinaryPacked.Decode(data, prefixes, out int prefixCount);
            if (prefixCount != n) throw new DecodeException($"DELTA_BYTE_ARRAY holds {prefixCount} prefix lengths, the page needs {n}");
        }
        pos += DeltaBinaryPacked.Decode(data[pos..], lengths, out int lengthCount);
        if (lengthCount != n) throw new DecodeException($"{encoding} holds {lengthCount} lengths, the page needs {n}");
        byte[] previous = [];
        for (int i = 0; i < n; i++)
        {
            long length = lengths[i];
            if (length < 0 || length > data.Length - pos) throw new DecodeException($"{encoding} value {i} has length {length}, beyond the {data.Length - pos} bytes left");
            var suffix = data.Slice(pos, (int)length);
            pos += (int)length;
            if (encoding == ParquetEncoding.DeltaLengthByteArray)
            {
                output[i] = TFactory.Create(suffix);
                continue;
            }
            long prefix = prefixes[i];
            if (prefix < 0 || prefix > previous.Length) throw new DecodeException($"DELTA_BYTE_ARRAY value {i} has prefix length {prefix}, the previous value has {previous.Length} bytes");
            var value = new byte[(int)prefix + suffix.Length];
            previous.AsSpan(0, (int)prefix).CopyTo(value);
            suffix.CopyTo(value.AsSpan((int)prefix));
            if (PhysicalType == PhysicalType.FixedLenByteArray && value.Length != TypeLength)
                throw new DecodeException($"DELTA_BYTE_ARRAY value {i} has {value.Length} bytes, FIXED_LEN_BYTE_ARRAY({TypeLength}) needs {TypeLength}");
            output[i] = TFactory.Create(value);
            previous = value;
        }
    }

    private void DecodeByteStreamSplit<T>(ReadOnlySpan<byte> data, Span<T> output)
    {
        int n = output.Length;
        int width = ValueWidth;
        if (width <= 0) throw new DecodeException("BYTE_STREAM_SPLIT needs a fixed value width");
        if ((long)n * width > data.Length) throw Short(n, data.Length);
        int stride = n; // stream k holds byte k of every value
        Span<byte> value = stackalloc byte[width <= 64 ? width : 0];
        byte[]? big = width > 64 ? new byte[width] : null;
        for (int i = 0; i < n; i++)
        {
            Span<byte> v = big ?? value;
            for (int k = 0; k < width; k++) v[k] = data[k * stride + i];
            if (typeof(T) == typeof(int)) Cast<T, int>(output)[i] = BinaryPrimitives.ReadInt32LittleEndian(v);
            else if (typeof(T) == typeof(long)) Cast<T, long>(output)[i] = BinaryPrimitives.ReadInt64LittleEndian(v);
            else if (typeof(T) == typeof(double))
                Cast<T, double>(output)[i] = width == 4 ? BinaryPrimitives.ReadSingleLittleEndian(v) : BinaryPrimitives.ReadDoubleLittleEndian(v);
            else if (typeof(T) == typeof(byte[])) Cast<T, byte[]?>(output)[i] = v.ToArray();
            else throw new DecodeException($"BYTE_STREAM_SPLIT is not supported for {PhysicalType} values");
        }
    }
}
