using DistGmm.Parquet.Encodings;

namespace DistGmm.Parquet;

/// <summary>Numeric column chunk → doubles (null → NaN), decoding straight into the caller's span where possible.</summary>
internal static class DoubleColumnReader
{
    public static void Read(PageReader pages, ValueDecoder decoder, ParquetField field, Span<double> destination)
    {
        switch (field.PhysicalType)
        {
            case PhysicalType.Float:
            case PhysicalType.Double:
                ReadAs<double>(pages, decoder, destination, static (src, dst, _) => src.CopyTo(dst), 0);
                break;
            case PhysicalType.Int32:
                ReadAs<int>(pages, decoder, destination, static (src, dst, scale) =>
                {
                    for (int i = 0; i < src.Length; i++) dst[i] = src[i];
                    if (scale != 0) ApplyScale(dst[..src.Length], scale);
                }, DecimalScale(field));
                break;
            default:
                ReadAs<long>(pages, decoder, destination, static (src, dst, scale) =>
                {
                    for (int i = 0; i < src.Length; i++) dst[i] = src[i];
                    if (scale != 0) ApplyScale(dst[..src.Length], scale);
                }, DecimalScale(field));
                break;
        }
    }

    private static int DecimalScale(ParquetField field) => field.Logical is { Kind: LogicalKind.Decimal } d ? d.Scale : 0;

    private static void ApplyScale(Span<double> values, int scale)
    {
        for (int i = 0; i < values.Length; i++) values[i] = DecimalValue.Scale((long)values[i], scale);
    }

    private delegate void Convert<T>(ReadOnlySpan<T> source, Span<double> destination, int scale);

    private static void ReadAs<T>(PageReader pages, ValueDecoder decoder, Span<double> destination, Convert<T> convert, int scale)
    {
        var dictionary = new DictionaryCache<T>();
        T[] scratch = [];
        double[] dense = [];
        int row = 0;
        while (pages.Next(out var page))
        {
            try
            {
                var dict = dictionary.Get(pages, decoder, page.Encoding);
                int present = page.NonNullCount;
                var target = destination.Slice(row, page.NumValues);
                if (typeof(T) == typeof(double) && present == page.NumValues)
                {
                    // Hot path: decompress/decode directly into the caller's memory.
                    bool done = page.Encoding == ParquetEncoding.Plain && decoder.PhysicalType == PhysicalType.Double &&
                                page.TryDecompressInto(System.Runtime.InteropServices.MemoryMarshal.AsBytes(target));
                    if (!done) decoder.Decode(page.Encoding, page.Values, AsT<T>(target), dict);
                }
                else
                {
                    if (scratch.Length < present) scratch = new T[Math.Max(present, scratch.Length * 2)];
                    decoder.Decode(page.Encoding, page.Values, scratch.AsSpan(0, present), dict);
                    if (present == page.NumValues) convert(scratch.AsSpan(0, present), target, scale);
                    else
                    {
                        if (dense.Length < present) dense = new double[Math.Max(present, dense.Length * 2)];
                        convert(scratch.AsSpan(0, present), dense, scale);
                        var levels = page.DefinitionLevels!;
                        for (int i = 0, k = 0; i < target.Length; i++) target[i] = levels[i] != 0 ? dense[k++] : double.NaN;
                    }
                }
            }
            catch (DecodeException e)
            {
                throw pages.Error(page.FileOffset, e);
            }
            row += page.NumValues;
        }
    }

    private static Span<T> AsT<T>(Span<double> span) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.CompilerServices.Unsafe.As<double, T>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span)), span.Length);
}
