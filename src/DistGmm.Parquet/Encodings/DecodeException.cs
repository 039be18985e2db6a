namespace DistGmm.Parquet.Encodings;

/// <summary>Raised by value/level decoders, which know nothing of files; the page reader adds file and offset.</summary>
internal sealed class DecodeException(string message) : Exception(message);
