using System.IO.Compression;

namespace DistGmm.Data;

/// <summary>
/// The one data file of a zip archive, read as a stream that closes the archive with it. Datasets are often downloaded
/// as a zip of one file (Kaggle's, for one); an archive of several is refused naming them, never guessed at.
/// </summary>
internal sealed class ZipEntryStream : Stream
{
    private readonly ZipArchive _archive;
    private readonly Stream _entry;

    private ZipEntryStream(ZipArchive archive, Stream entry) => (_archive, _entry) = (archive, entry);

    public static Stream OpenOnly(string path, FileStream file)
    {
        ZipArchive archive;
        try { archive = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: false); }
        catch (InvalidDataException ex) { throw new DataFormatException(path, $"not a readable zip archive: {ex.Message}"); }
        try
        {
            // Folders and what macOS adds to the archives it makes are not data.
            var files = archive.Entries.Where(e => !e.FullName.EndsWith('/') && !e.FullName.StartsWith("__MACOSX/", StringComparison.Ordinal) &&
                                                   e.Name != ".DS_Store").ToList();
            if (files.Count != 1)
                throw new DataFormatException(path, files.Count == 0
                    ? "a zip archive with no file in it"
                    : $"a zip archive of {files.Count} files ({string.Join(", ", files.Take(5).Select(f => f.FullName))}{(files.Count > 5 ? ", …" : "")}): unzip it and give one of them");
            return new BufferedStream(new ZipEntryStream(archive, files[0].Open()), 1 << 20);
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => _entry.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => _entry.Read(buffer);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _entry.Dispose();
            _archive.Dispose();
        }
        base.Dispose(disposing);
    }
}
