namespace DistGmm.Data;

/// <summary>Bad input: the message names the file and, where known, the line and column (1-based).</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string file, long line, int column, string reason)
        : base(Format(file, line, column, reason))
    {
        File = file;
        Line = line;
        Column = column;
        Reason = reason;
    }

    public DataFormatException(string file, string reason, Exception? inner = null)
        : base($"{file}: {reason}", inner)
    {
        File = file;
        Reason = reason;
    }

    private DataFormatException(string file, string message, string reason) : base(message)
    {
        File = file;
        Reason = reason;
    }

    /// <summary>
    /// A bad value in <paramref name="column"/> of the dataset row <paramref name="rowId"/>; a caller that knows the
    /// dataset says where that row came from (<see cref="InSource"/>).
    /// </summary>
    public static DataFormatException AtRow(string column, long rowId, string reason) =>
        new(column, $"column '{column}', rowId {rowId}: {reason}", reason) { RowId = rowId };

    /// <summary>
    /// This row error (<see cref="AtRow"/>) placed in the dataset's input: "SOURCE: dataset row N (rowId N−1), column 'c':
    /// reason". Row N is the Nth row ingested, in input order; the manifest does not keep line numbers (blank and
    /// rejected lines and a header are skipped), so it is not a line number.
    /// </summary>
    public DataFormatException InSource(string source) =>
        RowId is { } id
            ? new DataFormatException(source, $"{source}: dataset row {id + 1} (rowId {id}), column '{File}': {Reason}", Reason) { RowId = id }
            : this;

    /// <summary>An error whose message already says everything (it is used verbatim).</summary>
    public static DataFormatException Verbatim(string file, string message) => new(file, message, message);

    public string File { get; }

    /// <summary>1-based line number, 0 when the problem is not tied to a line.</summary>
    public long Line { get; }

    /// <summary>1-based field number, 0 when the whole line is at fault.</summary>
    public int Column { get; }

    public string Reason { get; }

    /// <summary>The dataset's row id of the row at fault (<see cref="AtRow"/>), else null.</summary>
    public long? RowId { get; private init; }

    private static string Format(string file, long line, int column, string reason) =>
        column > 0 ? $"{file}: line {line}, column {column}: {reason}" : $"{file}: line {line}: {reason}";
}
