using System.Runtime.InteropServices;
using System.Text;
using DistGmm.Parquet.Compression;
using DistGmm.Parquet.Encodings;
using DistGmm.Parquet.Format;
using DistGmm.Parquet.Thrift;

namespace DistGmm.Parquet;

/// <summary>
/// Encodes one column chunk: an optional dictionary page (PLAIN values) and v1 data pages whose values are PLAIN or
/// RLE_DICTIONARY indices, with RLE definition levels for OPTIONAL columns; computes statistics.
/// </summary>
internal sealed class ColumnChunkWriter
{
    private readonly ParquetWriteOptions _options;
    private readonly ByteBuffer _page = new(1 << 16);
    private readonly ByteBuffer _compressed = new(1 << 16);
    private readonly CompactWriter _header = new();
    private int[] _ints = [];

    public ColumnChunkWriter(ParquetWriteOptions options) => _options = options;

    public ColumnMetaData Write(Stream output, ParquetColumn column, int start, int count)
    {
        var field = column.Field;
        var meta = new ColumnMetaData
        {
            Type = (int)field.PhysicalType,
            PathInSchema = [field.Name],
            Codec = (int)_options.Codec,
            NumValues = count,
        };
        long chunkStart = output.Position;
        long uncompressedTotal = 0;
        var nulls = column.Nulls;
        int nullCount = nulls is null ? 0 : nulls.AsSpan(start, count).Count(true);
        int present = count - nullCount;

        var dictionary = _options.Dictionary && field.PhysicalType != PhysicalType.Boolean && present > 0
            ? DictionaryBuilder.TryBuild(column, start, count, _options.MaxDictionaryEntries)
            : null;
        if (dictionary is not null && !PaysOff(dictionary, column, start, count, present)) dictionary = null;

        if (dictionary is not null)
        {
            meta.DictionaryPageOffset = output.Position;
            _page.Clear();
            dictionary.WritePlainValues(_page);
            uncompressedTotal += WritePage(output, PageType.DictionaryPage, dictionary.Count, ParquetEncoding.Plain);
            meta.Encodings = [(int)ParquetEncoding.Plain, (int)ParquetEncoding.RleDictionary, (int)ParquetEncoding.Rle];
        }
        else meta.Encodings = [(int)ParquetEncoding.Plain, (int)ParquetEncoding.Rle];
        meta.DataPageOffset = output.Position;

        int rowsPerPage = RowsPerPage(column, dictionary);
        for (int pageStart = start; pageStart < start + count || (count == 0 && pageStart == start); pageStart += rowsPerPage)
        {
            int pageRows = Math.Min(rowsPerPage, start + count - pageStart);
            _page.Clear();
            if (field.IsNullable)
            {
                var levels = Ints(pageRows);
                for (int i = 0; i < pageRows; i++) levels[i] = nulls is not null && nulls[pageStart + i] ? 0 : 1;
                RleHybrid.EncodeWithLength(levels, 1, _page);
            }
            ParquetEncoding encoding;
            if (dictionary is not null)
            {
                int bitWidth = Math.Max(1, BitPacking.BitWidth((uint)(dictionary.Count - 1)));
                var indices = Ints(pageRows);
                int n = 0;
                for (int i = 0; i < pageRows; i++)
                    if (nulls is null || !nulls[pageStart + i]) indices[n++] = dictionary.Indices[pageStart - start + i];
                _page.WriteByte((byte)bitWidth);
                RleHybrid.Encode(indices[..n], bitWidth, _page);
                encoding = ParquetEncoding.RleDictionary;
            }
            else
            {
                PlainEncoder.Write(column, pageStart, pageRows, _page);
                encoding = ParquetEncoding.Plain;
            }
            uncompressedTotal += WritePage(output, PageType.DataPage, pageRows, encoding);
            if (count == 0) break;
        }
        meta.TotalCompressedSize = output.Position - chunkStart;
        meta.TotalUncompressedSize = uncompressedTotal;
        meta.Statistics = StatisticsBuilder.Build(column, start, count, nullCount, dictionary);
        return meta;
    }

    private static bool PaysOff(DictionaryBuilder dictionary, ParquetColumn column, int start, int count, int present)
    {
        long plain = PlainEncoder.EstimateSize(column, start, count);
        int bitWidth = Math.Max(1, BitPacking.BitWidth((uint)(dictionary.Count - 1)));
        long encoded = dictionary.PlainSize + (long)present * bitWidth / 8 + 16;
        return encoded < plain * 3 / 4;
    }

    private int RowsPerPage(ParquetColumn column, DictionaryBuilder? dictionary)
    {
        int width = dictionary is not null ? 2 : column.Field.PhysicalType switch
        {
            PhysicalType.Boolean => 1,
            PhysicalType.Int32 or PhysicalType.Float => 4,
            PhysicalType.Int64 or PhysicalType.Double => 8,
            PhysicalType.Int96 => 12,
            PhysicalType.FixedLenByteArray => column.Field.TypeLength,
            _ => 32,
        };
        return Math.Max(1024, _options.PageSize / Math.Max(1, width));
    }

    private Span<int> Ints(int n)
    {
        if (_ints.Length < n) _ints = new int[Math.Max(n, _ints.Length * 2)];
        return _ints.AsSpan(0, n);
    }

    /// <summary>Compresses the assembled page body, writes header + body, returns header + uncompressed size.</summary>
    private long WritePage(Stream output, PageType type, int numValues, ParquetEncoding encoding)
    {
        _compressed.Clear();
        PageCompression.Compress(_options.Codec, _page.Span, _compressed);
        var header = new PageHeader
        {
            Type = (int)type,
            UncompressedPageSize = _page.Length,
            CompressedPageSize = _compressed.Length,
            NumValues = numValues,
            Encoding = (int)encoding,
            DefinitionLevelEncoding = (int)ParquetEncoding.Rle,
            RepetitionLevelEncoding = (int)ParquetEncoding.Rle,
        };
        header.Write(_header);
        output.Write(_header.Written);
        output.Write(_compressed.Span);
        return _header.Written.Length + _page.Length;
    }
}

/// <summary>PLAIN encoding of the non-null values of a row range.</summary>
internal static class PlainEncoder
{
    public static void Write(ParquetColumn column, int start, int count, ByteBuffer output)
    {
        var nulls = column.Nulls;
        bool dense = nulls is null || nulls.AsSpan(start, count).IndexOf(true) < 0;
        switch (column.Field.PhysicalType)
        {
            case PhysicalType.Boolean:
            {
                var values = column.Booleans!;
                int n = 0;
                int bytesAt = output.Length;
                var bytes = output.Append((count + 7) / 8);
                bytes.Clear();
                for (int i = start; i < start + count; i++)
                {
                    if (nulls is not null && nulls[i]) continue;
                    if (values[i]) bytes[n >> 3] |= (byte)(1 << (n & 7));
                    n++;
                }
                output.SetLength(bytesAt + (n + 7) / 8);
                break;
            }
            case PhysicalType.Int32:
                WriteFixed<int>(column.Int32s!, nulls, start, count, dense, output);
                break;
            case PhysicalType.Int64:
                WriteFixed<long>(column.Int64s!, nulls, start, count, dense, output);
                break;
            case PhysicalType.Double:
                WriteFixed<double>(column.Doubles!, nulls, start, count, dense, output);
                break;
            case PhysicalType.Float:
            {
                var values = column.Doubles!;
                var dst = MemoryMarshal.Cast<byte, float>(output.Append(4 * count));
                int n = 0;
                for (int i = start; i < start + count; i++)
                    if (nulls is null || !nulls[i]) dst[n++] = (float)values[i];
                output.SetLength(output.Length - 4 * (count - n));
                break;
            }
            case PhysicalType.ByteArray when column.Strings is not null:
            {
                var values = column.Strings;
                for (int i = start; i < start + count; i++)
                {
                    if (values[i] is not { } s) continue;
                    int max = Encoding.UTF8.GetMaxByteCount(s.Length);
                    int at = output.Length;
                    var dst = output.Append(4 + max);
                    int written = Encoding.UTF8.GetBytes(s, dst[4..]);
                    BitConverter.TryWriteBytes(dst, written);
                    output.SetLength(at + 4 + written);
                }
                break;
            }
            default:
            {
                var values = column.Binaries!;
                bool prefixed = column.Field.PhysicalType == PhysicalType.ByteArray;
                for (int i = start; i < start + count; i++)
                {
                    if (values[i] is not { } b) continue;
                    if (prefixed) output.WriteInt32(b.Length);
                    output.Write(b);
                }
                break;
            }
        }
    }

    private static void WriteFixed<T>(T[] values, bool[]? nulls, int start, int count, bool dense, ByteBuffer output) where T : unmanaged
    {
        if (dense)
        {
            output.Write(MemoryMarshal.AsBytes(values.AsSpan(start, count)));
            return;
        }
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        int at = output.Length;
        var dst = MemoryMarshal.Cast<byte, T>(output.Append(size * count));
        int n = 0;
        for (int i = start; i < start + count; i++)
            if (!nulls![i]) dst[n++] = values[i];
        output.SetLength(at + size * n);
    }

    public static long EstimateSize(ParquetColumn column, int start, int count) => column.Field.PhysicalType switch
    {
        PhysicalType.Boolean => (count + 7) / 8,
        PhysicalType.Int32 or PhysicalType.Float => 4L * count,
        PhysicalType.Int64 or PhysicalType.Double => 8L * count,
        PhysicalType.Int96 => 12L * count,
        PhysicalType.FixedLenByteArray => (long)column.Field.TypeLength * count,
        _ when column.Strings is not null => SumStrings(column.Strings, start, count),
        _ => SumBinaries(column.Binaries!, start, count),
    };

    private static long SumStrings(string?[] values, int start, int count)
    {
        long total = 0;
        for (int i = start; i < start + count; i++) total += 4 + (values[i]?.Length ?? 0);
        return total;
    }

    private static long SumBinaries(byte[]?[] values, int start, int count)
    {
        long total = 0;
        for (int i = start; i < start + count; i++) total += 4 + (values[i]?.Length ?? 0);
        return total;
    }
}
