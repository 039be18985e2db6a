namespace DistGmm.Parquet;

/// <summary>A file that is not valid Parquet (or uses a feature this codec does not support).
/// Always names the file and the byte offset where the problem was found.</summary>
public sealed class ParquetFormatException : Exception
{
    public ParquetFormatException(string file, long offset, string message, Exception? inner = null)
        : base($"{file}: at byte offset {offset}: {message}", inner)
    {
        File = file;
        Offset = offset;
        Detail = message;
    }

    public string File { get; }

    public long Offset { get; }

    /// <summary>The message without the file/offset prefix.</summary>
    public string Detail { get; }
}
