namespace DistGmm.Data;

/// <summary>The input formats ingestion recognises.</summary>
public enum SourceFormat { KddRaw, KddHeader, NslKdd, Csv, Parquet, Arff, Zeek, JsonLines }

/// <summary>A streaming table: fills column batches until the input is exhausted.</summary>
internal interface ITableSource : IDisposable
{
    string Path { get; }

    SourceFormat Format { get; }

    /// <summary>The columns delivered (ignored input columns are not among them).</summary>
    IReadOnlyList<ColumnInfo> Columns { get; }

    /// <summary>An upper estimate of the rows (used to cut contiguous shards); exact for Parquet.</summary>
    long EstimatedRows { get; }

    /// <summary>True when the input says it was synthesised (by <see cref="Synthesizer"/>).</summary>
    bool Synthetic { get; }

    /// <summary>Rows rejected so far under <see cref="BadRowPolicy.Skip"/>.</summary>
    long Rejected { get; }

    /// <summary>What the source left out that the user should know about (e.g. nested Parquet columns), one line each.</summary>
    IReadOnlyList<string> Warnings => [];

    /// <summary>Overwrites <paramref name="batch"/> with up to <paramref name="maxRows"/> rows (at most its capacity);
    /// false when nothing was left.</summary>
    bool ReadBatch(ColumnBatch batch, int maxRows);
}

/// <summary>Receives rows skipped under <see cref="BadRowPolicy.Skip"/>: line, column, reason and the raw text.</summary>
internal sealed class RejectSink : IDisposable
{
    private readonly StreamWriter _writer;

    public RejectSink(string path)
    {
        Path = path;
        _writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
        _writer.WriteLine("line\tcolumn\treason\ttext");
    }

    public string Path { get; }

    public long Count { get; private set; }

    /// <summary>The first rejection as "line L, column C: reason" (null while none).</summary>
    public string? First { get; private set; }

    /// <summary>
    /// A text source's bad row: an error naming file, line and column under <see cref="BadRowPolicy.Fail"/> (or without
    /// a sink), else set aside in <paramref name="rejects"/> with its raw text.
    /// </summary>
    public static void RejectOrFail(RejectSink? rejects, BadRowPolicy policy, string path, long line, int column, string reason,
        ReadOnlySpan<byte> text)
    {
        if (policy == BadRowPolicy.Fail || rejects is null) throw new DataFormatException(path, line, column, reason);
        rejects.Reject(line, column, reason, Utf8Fields.LooksBinary(text) ? "(binary data not copied)" : Utf8Fields.Decode(text));
    }

    public void Reject(long line, int column, string reason, string text)
    {
        Count++;
        First ??= column > 0 ? $"line {line}, column {column}: {reason}" : $"line {line}: {reason}";
        _writer.Write(line);
        _writer.Write('\t');
        _writer.Write(column);
        _writer.Write('\t');
        _writer.Write(reason.Replace('\t', ' '));
        _writer.Write('\t');
        _writer.WriteLine(text);
    }

    public void Dispose() => _writer.Dispose();
}
