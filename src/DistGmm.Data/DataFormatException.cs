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

    /// <summary>An error whose message already says everything (it is used verbatim).</summary>
    public static DataFormatException Verbatim(string file, string message) => new(file, message, message);

    public string File { get; }

    /// <summary>1-based line number, 0 when the problem is not tied to a line.</summary>
    public long Line { get; }

    /// <summary>1-based field number, 0 when the whole line is at fault.</summary>
    public int Column { get; }

    public string Reason { get; }

    private static string Format(string file, long line, int column, string reason) =>
        column > 0 ? $"{file}: line {line}, column {column}: {reason}" : $"{file}: line {line}: {reason}";
}
