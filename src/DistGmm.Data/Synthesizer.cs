using System.IO.Compression;
using System.Text.Json;

namespace DistGmm.Data;

/// <param name="Rows">Rows to produce.</param>
/// <param name="From">A real data set in any ingestible format.</param>
/// <param name="Seed">The resampling seed: the same seed gives the same file.</param>
/// <param name="Out">Output file: <c>.parquet</c> → Parquet; otherwise the source's text format (<c>.gz</c> → gzip).</param>
public sealed record SynthOptions(long Rows, string From, ulong Seed, string Out);

public sealed record SynthResult(string Out, long Rows, long SourceRows, string MarkerFile);

/// <summary>
/// Makes a larger data set by seeded bootstrap resampling (rows drawn uniformly with replacement) of a real one,
/// for scale tests. The output says it is synthetic: Parquet key-value metadata, and a JSON sidecar for text.
/// </summary>
public static class Synthesizer
{
    public const string SyntheticKey = "distgmm.synthetic";
    public const string MarkerSuffix = ".synthetic.json";

    public static bool IsMarkedSynthetic(string path) => File.Exists(path + MarkerSuffix);

    public static SynthResult Synthesize(SynthOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Rows, nameof(options.Rows));
        if (!File.Exists(options.From) && !Directory.Exists(options.From))
            throw new DataFormatException(options.From, "input file not found");
        var directory = Path.GetDirectoryName(Path.GetFullPath(options.Out));
        if (directory is not null) Directory.CreateDirectory(directory);
        var random = new SplitMix64(options.Seed);
        long sourceRows = options.Out.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
            ? ResampleToParquet(options, random)
            : ResampleText(options, random);
        var marker = options.Out + MarkerSuffix;
        File.WriteAllText(marker, JsonSerializer.Serialize(new
        {
            synthetic = true,
            method = "bootstrap resampling with replacement",
            from = Path.GetFullPath(options.From),
            sourceRows,
            rows = options.Rows,
            seed = options.Seed,
        }, new JsonSerializerOptions { WriteIndented = true }));
        return new SynthResult(options.Out, options.Rows, sourceRows, marker);
    }

    /// <summary>Text sources are resampled line by line, byte for byte (the header or ARFF header, if any, kept on top).</summary>
    private static long ResampleText(SynthOptions options, SplitMix64 random)
    {
        var layout = TableSources.DetectLayout(options.From, null);
        var (bytes, starts) = LoadLines(options.From, out var header, layout);
        var rows = starts.Count - 1;
        if (rows == 0) throw new DataFormatException(options.From, "no data rows to resample");
        using var file = new FileStream(options.Out, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using Stream output = options.Out.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionLevel.Fastest)
            : file;
        using var buffered = new BufferedStream(output, 1 << 20);
        buffered.Write(header);
        for (long i = 0; i < options.Rows; i++)
        {
            var r = random.NextIndex(rows);
            buffered.Write(bytes, (int)starts[r], (int)(starts[r + 1] - starts[r]));
        }
        return rows;
    }

    private static (byte[] Bytes, List<long> Starts) LoadLines(string path, out byte[] header, DelimitedLayout layout)
    {
        using var lines = new Utf8LineReader(path);
        using var preamble = new MemoryStream();
        using var all = new MemoryStream();
        var starts = new List<long> { 0 };
        while (lines.TryReadLine(out var line))
        {
            var trimmed = Utf8Fields.Trim(line);
            if (trimmed.IsEmpty) continue;
            if (lines.LineNumber <= layout.DataStartLine)
            {
                preamble.Write(line);
                preamble.WriteByte((byte)'\n');
                continue;
            }
            if (layout.IsArff && trimmed[0] == (byte)'%' || layout.IsZeek && trimmed[0] == (byte)'#') continue; // a comment, not a row
            all.Write(line);
            all.WriteByte((byte)'\n');
            starts.Add(all.Length);
        }
        if (all.Length > Array.MaxLength) throw new DataFormatException(path, "too large to resample in memory");
        header = preamble.ToArray();
        return (all.ToArray(), starts);
    }

    private static long ResampleToParquet(SynthOptions options, SplitMix64 random)
    {
        using var source = TableSources.Open(options.From, null, BadRowPolicy.Fail, null);
        var sourceRows = checked((int)Math.Max(source.EstimatedRows, 1));
        var all = new ColumnBatch(source.Columns, sourceRows);
        source.ReadBatch(all, sourceRows);
        if (all.Count == 0) throw new DataFormatException(options.From, "no data rows to resample");
        const int groupRows = 65536;
        var group = new ColumnBatch(source.Columns, groupRows);
        var metadata = new Dictionary<string, string>
        {
            [SyntheticKey] = "true",
            ["distgmm.synthetic.seed"] = options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["distgmm.synthetic.from"] = Path.GetFileName(options.From),
        };
        using var writer = new ShardWriter(options.Out, source.Columns, groupRows, metadata);
        for (long start = 0; start < options.Rows; start += groupRows)
        {
            var count = (int)Math.Min(groupRows, options.Rows - start);
            for (var i = 0; i < count; i++)
            {
                var r = random.NextIndex(all.Count);
                group.RowIds[i] = start + i;
                for (var c = 0; c < source.Columns.Count; c++)
                {
                    if (all.Numbers[c] is { } numbers) group.Numbers[c]![i] = numbers[r];
                    else group.Texts[c]![i] = all.Texts[c]![r];
                }
            }
            group.Count = count;
            writer.Write(group);
        }
        return all.Count;
    }
}

/// <summary>A tiny, fully specified PRNG (SplitMix64) so seeded outputs never change across runtimes.</summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) by the multiply-high method.</summary>
    public int NextIndex(int n) => (int)Math.BigMul(Next(), (ulong)n, out _);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
