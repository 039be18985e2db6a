using System.Diagnostics;
using DistGmm.Data.Parquet;

namespace DistGmm.Data;

/// <summary>What to ingest and how.</summary>
/// <param name="Input">A raw KDD file (.gz or plain), a header CSV, an NSL-KDD file, a Parquet file or folder.</param>
/// <param name="OutputDir">The dataset folder to (re)write: manifest.json + shard-NNNNN.parquet.</param>
/// <param name="Shards">How many shards (contiguous row ranges of near-equal size).</param>
/// <param name="OnBadRow">Fail on the first malformed row (default), or skip it into rejects.tsv.</param>
/// <param name="SchemaFile">Optional column roles (see <see cref="Data.SchemaFile"/>).</param>
/// <param name="RowGroupSize">Rows per Parquet row group (bounds the memory of the streaming pass).</param>
/// <param name="Compression">The shards' page codec (Snappy by default, as pyarrow, Spark and DuckDB write).</param>
public sealed record IngestOptions(
    string Input, string OutputDir, int Shards = 8, BadRowPolicy OnBadRow = BadRowPolicy.Fail, string? SchemaFile = null,
    int RowGroupSize = 65536, CompressionCodec Compression = CompressionCodec.Snappy);

public sealed record IngestProgress(long RowsWritten, long RowsRejected, long EstimatedRows, int ShardsCompleted);

public sealed record IngestResult(DatasetManifest Manifest, string ManifestPath, long RejectedRows, string? RejectsFile, TimeSpan Elapsed)
{
    /// <summary>What the input left out that the user should know (e.g. nested Parquet columns), one line each.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>Input file → N Snappy Parquet shards + manifest.json, in one streaming pass over the rows.</summary>
public static class Ingestion
{
    public const string RejectsFileName = "rejects.tsv";

    /// <summary>
    /// The data columns an input would give, from its manifest, Parquet footer or text header alone (no rows read), or
    /// null when it cannot be opened: the ingest that follows reports why.
    /// </summary>
    public static IReadOnlyList<ColumnInfo>? PeekColumns(string path, string? schemaFile = null)
    {
        try
        {
            if (DatasetManifest.Exists(path)) return DatasetManifest.Load(path).DataColumns;
            if (Directory.Exists(path) || ParquetSource.IsParquetFile(path))
            {
                using var parquet = ParquetSource.Open(path, schemaFile);
                return parquet.Columns;
            }
            return File.Exists(path) ? TableSources.DetectLayout(path, schemaFile is null ? null : SchemaFile.Load(schemaFile)).Columns : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException) // whatever it is, the ingest meets it again and names it
        {
            return null;
        }
    }

    public static IngestResult Ingest(IngestOptions options, IProgress<IngestProgress>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Shards, 1, nameof(options.Shards));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RowGroupSize, 1, nameof(options.RowGroupSize));
        var clock = Stopwatch.StartNew();
        var input = Path.GetFullPath(options.Input).TrimEnd(Path.DirectorySeparatorChar);
        var output = Path.GetFullPath(options.OutputDir).TrimEnd(Path.DirectorySeparatorChar);
        if (input == output || input.StartsWith(output + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"the output folder {options.OutputDir} holds the input {options.Input}; ingesting would overwrite it");
        if (File.Exists(output)) throw new ArgumentException($"--out {options.OutputDir} is a file, not a folder");
        // Written into a sibling staging folder and published only when complete: a failed ingest leaves the previous
        // dataset as it was, and no half-written one that could be mistaken for a complete one.
        var staging = StagingFolder(output);
        Directory.CreateDirectory(staging);
        var rejectsPath = Path.Combine(staging, RejectsFileName);
        try
        {
            DatasetManifest manifest;
            long rejected;
            bool hasRejects;
            IReadOnlyList<string> warnings;
            using (var rejects = options.OnBadRow == BadRowPolicy.Skip ? new RejectSink(rejectsPath) : null)
            using (var source = TableSources.Open(options.Input, options.SchemaFile, options.OnBadRow, rejects))
            {
                manifest = WriteShards(options, source, staging, progress);
                rejected = source.Rejected;
                hasRejects = rejects is not null;
                warnings = source.Warnings;
                RefuseMostlyBad(options.Input, manifest.TotalRows, rejected, rejects?.First);
                // Nothing to model (and 'run' would only fail later, asking for more rows than components).
                if (manifest.TotalRows == 0 && rejected == 0)
                    throw new DataFormatException(options.Input,
                        source is DelimitedSource { HasHeader: true } ? "has a header but no data rows" : "has no data rows");
                manifest = new DatasetManifest
                {
                    Source = Path.GetFullPath(options.Input),
                    SourceFormat = source.Format,
                    Synthetic = source.Synthetic,
                    TotalRows = manifest.TotalRows,
                    LabelCounts = manifest.LabelCounts,
                    RejectedRows = rejected,
                    RejectsFile = hasRejects ? RejectsFileName : null,
                    Columns = manifest.Columns,
                    ColumnSummaries = manifest.ColumnSummaries,
                    Shards = manifest.Shards,
                    Storage = new ShardStorage(ParquetTypes.CodecName(options.Compression), ParquetTypes.LibraryVersion),
                };
            }
            Publish(staging, output, manifest);
            return new IngestResult(manifest, Path.Combine(output, DatasetManifest.FileName), rejected,
                hasRejects ? Path.Combine(output, RejectsFileName) : null, clock.Elapsed) { Warnings = warnings };
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Under --on-bad-row skip, more rejected than kept rows means the wrong file or format, not a few bad rows.</summary>
    public const double MaxRejectedFraction = 0.5;

    private static void RefuseMostlyBad(string input, long kept, long rejected, string? first)
    {
        var read = kept + rejected;
        if (rejected == 0 || rejected <= MaxRejectedFraction * read) return;
        throw new DataFormatException(input,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{rejected:N0} of {read:N0} rows are malformed (more than {MaxRejectedFraction:P0}; the first at {first}): ") +
            "refusing to make a dataset of them; check the file and its format (--schema)");
    }

    private static DatasetManifest WriteShards(IngestOptions options, ITableSource source, string dir, IProgress<IngestProgress>? progress)
    {
        var columns = source.Columns;
        // Two batches: the next one is parsed on this thread while the previous one is summarised, encoded and written
        // on another (writing is the slower half; on 2 cores the halves overlap). Writes stay in row order.
        var batches = new[] { new ColumnBatch(columns, options.RowGroupSize), new ColumnBatch(columns, options.RowGroupSize) };
        var summary = new ColumnSummaryBuilder(columns);
        var metadata = new Dictionary<string, string>
        {
            ["distgmm.source"] = Path.GetFileName(options.Input),
            [Synthesizer.SyntheticKey] = source.Synthetic ? "true" : "false",
        };
        var shards = new List<ShardInfo>();
        long nextRowId = 0;
        for (var s = 0; s < options.Shards; s++)
        {
            // Contiguous cuts of the estimated row count; the last shard takes whatever is left.
            var quota = s == options.Shards - 1
                ? long.MaxValue
                : Cut(s + 1, source.EstimatedRows, options.Shards) - Cut(s, source.EstimatedRows, options.Shards);
            var file = ShardFiles.FileName(s);
            var path = Path.Combine(dir, file);
            var firstRowId = nextRowId;
            using (var writer = new ShardWriter(path, columns, options.RowGroupSize, metadata, options.Compression))
            {
                Task? writing = null;
                var current = 0;
                try
                {
                    while (quota > 0)
                    {
                        var batch = batches[current];
                        if (!source.ReadBatch(batch, (int)Math.Min(quota, batch.Capacity))) break;
                        for (var i = 0; i < batch.Count; i++) batch.RowIds[i] = nextRowId + i;
                        nextRowId += batch.Count;
                        quota -= batch.Count;
                        writing?.GetAwaiter().GetResult(); // the other batch is written: it may be read into next
                        writing = null;
                        if (quota == 0)
                        {
                            // The shard's last batch: nothing left to parse beside it, so no thread hop.
                            summary.Add(batch);
                            writer.Write(batch);
                        }
                        else writing = Task.Run(() =>
                        {
                            summary.Add(batch);
                            writer.Write(batch);
                        });
                        current ^= 1;
                        progress?.Report(new IngestProgress(nextRowId, source.Rejected, source.EstimatedRows, s));
                    }
                }
                catch when (writing is not null)
                {
                    // The input failed (a malformed row, say): let the running write end before the writer is disposed,
                    // and report the input's error, not a write's.
                    try { writing.Wait(); }
                    catch (AggregateException) { }
                    throw;
                }
                writing?.GetAwaiter().GetResult();
            }
            shards.Add(new ShardInfo(file, nextRowId - firstRowId, ShardFiles.Sha256(path), firstRowId));
            progress?.Report(new IngestProgress(nextRowId, source.Rejected, source.EstimatedRows, s + 1));
        }
        return new DatasetManifest
        {
            TotalRows = nextRowId,
            LabelCounts = summary.LabelCounts(),
            Columns = [new ColumnInfo(ShardFiles.RowIdColumn, ColumnRole.RowId), .. columns],
            ColumnSummaries = summary.Build(),
            Shards = shards,
        };
    }

    /// <summary>A hidden folder beside the dataset folder (same file system, so publishing is renames only).</summary>
    private static string StagingFolder(string output) =>
        Path.Combine(Path.GetDirectoryName(output) ?? ".", $".{Path.GetFileName(output)}.ingest-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>
    /// Replaces the dataset in <paramref name="output"/> by the staged one. The old manifest (the completion marker) goes
    /// first and the new one is written last, so the folder is never taken for a complete dataset in between.
    /// </summary>
    private static void Publish(string staging, string output, DatasetManifest manifest)
    {
        // Serialised before the previous dataset is touched: a manifest that cannot be written fails the ingest here.
        manifest.ToJson();
        var created = !Directory.Exists(output);
        Directory.CreateDirectory(output);
        RemovePreviousDataset(output);
        try
        {
            foreach (var file in Directory.GetFiles(staging))
                File.Move(file, Path.Combine(output, Path.GetFileName(file)));
            manifest.Save(output);
        }
        catch
        {
            // The previous dataset is gone by now: leave nothing rather than shards without a manifest.
            RemovePreviousDataset(output);
            var temp = Path.Combine(output, DatasetManifest.FileName + ".tmp");
            if (File.Exists(temp)) File.Delete(temp);
            if (created && !Directory.EnumerateFileSystemEntries(output).Any()) Directory.Delete(output);
            throw;
        }
    }

    private static long Cut(int shard, long rows, int shards) => (long)((Int128)rows * shard / shards);

    private static void RemovePreviousDataset(string dir)
    {
        File.Delete(Path.Combine(dir, DatasetManifest.FileName));
        File.Delete(Path.Combine(dir, RejectsFileName));
        foreach (var old in Directory.GetFiles(dir, "shard-*.parquet")) File.Delete(old);
    }
}

/// <summary>Accumulates the manifest's per-column summary while rows stream past.</summary>
internal sealed class ColumnSummaryBuilder
{
    private readonly IReadOnlyList<ColumnInfo> _columns;
    private readonly long[] _missing;
    private readonly double[] _min;
    private readonly double[] _max;
    private readonly OverflowSafeSum[] _sum; // finite columns of 1e308s still have a finite mean
    private readonly long[] _present;
    private readonly Dictionary<string, long>?[] _categories;

    public ColumnSummaryBuilder(IReadOnlyList<ColumnInfo> columns)
    {
        _columns = columns;
        _missing = new long[columns.Count];
        _min = Enumerable.Repeat(double.PositiveInfinity, columns.Count).ToArray();
        _max = Enumerable.Repeat(double.NegativeInfinity, columns.Count).ToArray();
        _sum = new OverflowSafeSum[columns.Count];
        _present = new long[columns.Count];
        _categories = columns.Select(c => c.Role == ColumnRole.Numeric ? null : new Dictionary<string, long>()).ToArray();
    }

    public void Add(ColumnBatch batch)
    {
        for (var c = 0; c < _columns.Count; c++)
        {
            if (batch.Numbers[c] is { } numbers)
            {
                double min = _min[c], max = _max[c], sum = 0;
                long present = 0;
                foreach (var v in numbers.AsSpan(0, batch.Count))
                {
                    if (double.IsNaN(v)) continue;
                    present++;
                    sum += v;
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
                _min[c] = min;
                _max[c] = max;
                _sum[c].AddPartial(sum, numbers.AsSpan(0, batch.Count));
                _present[c] += present;
                _missing[c] += batch.Count - present;
            }
            else
            {
                var counts = _categories[c]!;
                foreach (var text in batch.Texts[c]!.AsSpan(0, batch.Count))
                {
                    if (text is null) { _missing[c]++; continue; }
                    counts[text] = counts.GetValueOrDefault(text) + 1;
                }
            }
        }
    }

    public IReadOnlyDictionary<string, long> LabelCounts()
    {
        for (var c = 0; c < _columns.Count; c++)
            if (_columns[c].Role == ColumnRole.Label) return Sorted(_categories[c]!);
        return new SortedDictionary<string, long>(StringComparer.Ordinal);
    }

    public IReadOnlyList<ColumnSummary> Build() => _columns.Select((column, c) => column.Role == ColumnRole.Numeric
        ? new ColumnSummary(column.Name, column.Role, _missing[c],
            _present[c] > 0 ? _min[c] : null, _present[c] > 0 ? _max[c] : null, _present[c] > 0 ? _sum[c].Mean(_present[c]) : null)
        : new ColumnSummary(column.Name, column.Role, _missing[c], Categories: Sorted(_categories[c]!))).ToList();

    private static SortedDictionary<string, long> Sorted(Dictionary<string, long> counts) =>
        new(counts, StringComparer.Ordinal);
}
