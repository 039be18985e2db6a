using Xunit;
using Xunit.Abstractions;

namespace DistGmm.Parquet.Tests;

/// <summary>
/// Seeded mutations of corpus files (bit flips, byte overwrites, truncation, footer-targeted damage) must only ever
/// raise ParquetFormatException, terminate, and allocate no more than a small multiple of the file size.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Mutations = 10_000;

    private static readonly string[] Seeds =
    [
        "alltypes_plain.parquet", "alltypes_dictionary.parquet", "alltypes_plain.snappy.parquet", "binary.parquet",
        "byte_array_decimal.parquet", "datapage_v1-snappy-compressed-checksum.parquet", "delta_encoding_required_column.parquet",
        "rle_boolean_encoding.parquet", "fixed_length_byte_array.parquet", "nan_in_stats.parquet", "dict-page-offset-zero.parquet",
        "unknown-logical-type.parquet", "float16_nonzeros_and_nans.parquet", "plain-dict-uncompressed-checksum.parquet",
        "rle-dict-uncompressed-corrupt-checksum.parquet", "data_index_bloom_encoding_stats.parquet", "int32_decimal.parquet",
        "datapage_v2_empty_datapage.snappy.parquet", "byte_stream_split_extended.gzip.parquet",
    ];

    private static readonly string[] GeneratedSeeds =
    [
        "parquet-wasm-snappy-v1.parquet", "parquet-wasm-snappy-v2.parquet", "hyparquet-writer-gzip-v2.parquet",
        "parquetjs-brotli-v1.parquet", "enc-parquet-wasm-delta-v2.parquet", "enc-hyparquet-writer-delta-length-v2.parquet",
    ];

    [Fact]
    public async Task TenThousandSeededMutationsOnlyRaiseFormatErrors()
    {
        var files = Seeds.Select(Corpus.File)
            .Concat(GeneratedSeeds.Select(n => Path.Combine(Corpus.Dir, "generated", n)))
            .Select(p => (Name: Path.GetFileName(p), Bytes: File.ReadAllBytes(p)))
            .ToArray();
        // Baseline: the unmutated files read, and tell us the normal allocation per input byte.
        double baseRatio = files.Max(f => (double)Allocation(f.Bytes, f.Name, out _) / f.Bytes.Length);

        var run = Task.Run(() =>
        {
            var random = new Random(20240611);
            int rejected = 0;
            long worst = 0;
            string worstCase = "";
            for (int m = 0; m < Mutations; m++)
            {
                var (name, original) = files[m % files.Length];
                var data = Mutate(original, random, out string how);
                string label = $"{name} mutation {m} ({how})";
                long allocated = Allocation(data, label, out bool failed);
                if (failed) rejected++;
                long limit = (long)(Math.Max(baseRatio, 64) * 4 * Math.Max(data.Length, original.Length)) + (1 << 20);
                Assert.True(allocated <= limit, $"{label}: allocated {allocated} bytes for a {data.Length}-byte file (limit {limit})");
                if (allocated > worst) (worst, worstCase) = (allocated, label);
            }
            return (rejected, worst, worstCase);
        });
        // A generous hang guard (not a speed check): a decoder that loops forever fails here.
        var (rejectedCount, worstBytes, worstLabel) = await run.WaitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine($"{Mutations} mutations, {rejectedCount} rejected; base ratio {baseRatio:F1}; worst allocation {worstBytes} bytes: {worstLabel}");
        Assert.InRange(rejectedCount, Mutations / 10, Mutations); // the mutations do hit
    }

    /// <summary>Opens and fully reads the bytes; returns bytes allocated. Any exception but ours fails the test.</summary>
    private static long Allocation(byte[] data, string label, out bool rejected)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        rejected = false;
        try
        {
            using var reader = ParquetFileReader.Open(data, label);
            BadFileTests.ReadAll(reader);
            var buffer = new double[reader.RowGroupCount == 0 ? 0 : reader.Schema.Fields.Count == 0 ? 0 : (int)Enumerable.Range(0, reader.RowGroupCount).Max(reader.RowGroupRowCount)];
            for (int g = 0; g < reader.RowGroupCount; g++)
                foreach (var f in reader.Schema.Fields.Where(f => f.PhysicalType is PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.Float or PhysicalType.Double))
                    reader.ReadDoubles(g, f.Name, buffer);
        }
        catch (ParquetFormatException e)
        {
            Assert.Equal(label, e.File);
            Assert.InRange(e.Offset, 0, data.Length);
            rejected = true;
        }
        catch (Exception e)
        {
            Assert.Fail($"{label}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static byte[] Mutate(byte[] original, Random random, out string how)
    {
        var data = (byte[])original.Clone();
        int kind = random.Next(6);
        // Half the damage lands in the footer region, where most structure lives.
        int footerLength = Math.Min(data.Length - 8, BitConverter.ToInt32(data, data.Length - 8));
        int Position() => random.Next(2) == 0 && footerLength > 0
            ? data.Length - 8 - random.Next(footerLength)
            : random.Next(data.Length);
        switch (kind)
        {
            case 0:
            {
                int flips = 1 + random.Next(4);
                for (int i = 0; i < flips; i++)
                {
                    int p = Position();
                    data[p] ^= (byte)(1 << random.Next(8));
                }
                how = $"{flips} bit flips";
                return data;
            }
            case 1:
            {
                int p = Position();
                data[p] = (byte)random.Next(256);
                how = $"byte {p} set";
                return data;
            }
            case 2:
            {
                int p = Position();
                int n = Math.Min(1 + random.Next(16), data.Length - p);
                random.NextBytes(data.AsSpan(p, n));
                how = $"{n} random bytes at {p}";
                return data;
            }
            case 3:
            {
                int p = Position();
                byte[] extremes = [0x00, 0x7F, 0x80, 0xFF];
                data[p] = extremes[random.Next(extremes.Length)];
                how = $"extreme byte at {p}";
                return data;
            }
            case 4:
            {
                int cut = random.Next(data.Length);
                how = $"truncated to {cut}";
                return data[..cut];
            }
            default:
            {
                // Keep the trailing magic and footer length but damage the data region (page headers, pages).
                int dataEnd = Math.Max(5, data.Length - 8 - footerLength);
                int p = 4 + random.Next(Math.Max(1, dataEnd - 4));
                data[p] ^= (byte)(1 + random.Next(255));
                how = $"data byte {p} changed";
                return data;
            }
        }
    }
}
