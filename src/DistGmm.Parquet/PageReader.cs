using System.Buffers.Binary;
using DistGmm.Parquet.Compression;
using DistGmm.Parquet.Encodings;
using DistGmm.Parquet.Format;
using DistGmm.Parquet.Thrift;

namespace DistGmm.Parquet;

/// <summary>One decoded data page: definition levels (if the column is OPTIONAL) and the still-encoded values.</summary>
internal sealed class DataPage
{
    public int NumValues;
    public int NonNullCount;
    public byte[]? DefinitionLevels; // 1 = present, 0 = null; first NumValues entries valid
    public ParquetEncoding Encoding;
    public byte[] ValueBuffer = [];
    public int ValueOffset;
    public int ValueLength;
    public long FileOffset;

    // A Snappy value section not yet decompressed: the consumer may decompress it straight into its own memory.
    internal PageReader? DeferredOwner;
    internal int CompressedStart;
    internal int CompressedLength;
    internal int UncompressedLength;

    public ReadOnlySpan<byte> Values
    {
        get
        {
            if (DeferredOwner is { } owner) owner.Materialize(this);
            return ValueBuffer.AsSpan(ValueOffset, ValueLength);
        }
    }

    /// <summary>Decompresses the PLAIN value bytes directly into <paramref name="destination"/> when they are
    /// still compressed and exactly fill it; false when the caller should use <see cref="Values"/>.</summary>
    public bool TryDecompressInto(Span<byte> destination)
    {
        if (DeferredOwner is null || destination.Length != UncompressedLength) return false;
        DeferredOwner.DecompressInto(this, destination);
        return true;
    }
}

/// <summary>
/// Walks the pages of one column chunk held in memory: parses page headers, decompresses, splits definition levels
/// from values, and keeps the dictionary page. Every size is checked against the chunk before use.
/// </summary>
internal sealed class PageReader
{
    private readonly string _file;
    private readonly byte[] _chunk;
    private readonly int _chunkLength;
    private readonly long _chunkOffset;
    private readonly ParquetField _field;
    private readonly CompressionCodec _codec;
    private readonly long _totalValues;
    private readonly DataPage _page = new();
    private byte[] _decompressed = [];
    private byte[] _dictionaryBuffer = [];
    private byte[] _levels = [];
    private int[] _levelInts = [];
    private int _pos;
    private long _valuesRead;

    public PageReader(string file, byte[] chunk, int chunkLength, long chunkOffset, ParquetField field, CompressionCodec codec, long totalValues)
    {
        _file = file;
        _chunk = chunk;
        _chunkLength = chunkLength;
        _chunkOffset = chunkOffset;
        _field = field;
        _codec = codec;
        _totalValues = totalValues;
    }

    /// <summary>Bumped whenever a dictionary page is read, so consumers know to re-decode it.</summary>
    public int DictionaryVersion { get; private set; }

    public int DictionaryCount { get; private set; }

    public ReadOnlySpan<byte> DictionaryBytes => _dictionaryBuffer.AsSpan(0, DictionaryLength);

    private int DictionaryLength { get; set; }

    public long DictionaryFileOffset { get; private set; }

    public ParquetFormatException Error(long offset, string message) => new(_file, offset, message);

    public ParquetFormatException Error(long offset, DecodeException e) =>
        new(_file, offset, $"column '{_field.Name}': {e.Message}", e);

    /// <summary>Advances to the next data page; false once the chunk's values are all read.</summary>
    public bool Next(out DataPage page)
    {
        page = _page;
        while (true)
        {
            if (_valuesRead >= _totalValues) return false;
            long headerOffset = _chunkOffset + _pos;
            if (_pos >= _chunkLength)
                throw Error(headerOffset, $"column '{_field.Name}': column chunk ended after {_valuesRead} of {_totalValues} values");
            var reader = new CompactReader(_chunk.AsSpan(_pos, _chunkLength - _pos), _file, headerOffset);
            var header = PageHeader.Read(ref reader);
            int bodyStart = _pos + reader.Position;
            long bodyOffset = _chunkOffset + bodyStart;
            if (header.CompressedPageSize < 0 || header.CompressedPageSize > _chunkLength - bodyStart)
                throw Error(headerOffset, $"column '{_field.Name}': page size {header.CompressedPageSize} exceeds the {_chunkLength - bodyStart} bytes left in the column chunk");
            if (header.UncompressedPageSize < 0) throw Error(headerOffset, $"column '{_field.Name}': negative uncompressed page size {header.UncompressedPageSize}");
            _pos = bodyStart + header.CompressedPageSize;
            try
            {
                switch (header.PageType)
                {
                    case PageType.DictionaryPage:
                        ReadDictionary(header, bodyStart, bodyOffset);
                        continue;
                    case PageType.DataPage:
                        ReadDataPageV1(header, bodyStart, bodyOffset);
                        return true;
                    case PageType.DataPageV2:
                        ReadDataPageV2(header, bodyStart, bodyOffset);
                        return true;
                    default:
                        continue; // index pages and unknown page types carry no values
                }
            }
            catch (DecodeException e)
            {
                throw Error(bodyOffset, e);
            }
        }
    }

    private void CheckDataHeader(PageHeader header, long offset)
    {
        if (!header.HasDataHeader || header.NumValues < 0)
            throw Error(offset, $"column '{_field.Name}': page header lacks a valid value count");
        if (header.NumValues > _totalValues - _valuesRead)
            throw Error(offset, $"column '{_field.Name}': page holds {header.NumValues} values but only {_totalValues - _valuesRead} remain in the column chunk");
        if (!Enum.IsDefined((ParquetEncoding)header.Encoding))
            throw Error(offset, $"column '{_field.Name}': unknown encoding {header.Encoding}");
    }

    private void ReadDictionary(PageHeader header, int bodyStart, long bodyOffset)
    {
        if (!header.HasDataHeader || header.NumValues < 0)
            throw Error(bodyOffset, $"column '{_field.Name}': dictionary page with invalid value count {header.NumValues}");
        if (header.Encoding is not ((int)ParquetEncoding.Plain or (int)ParquetEncoding.PlainDictionary))
            throw Error(bodyOffset, $"column '{_field.Name}': dictionary page encoding {header.Encoding} is not PLAIN");
        var body = Decompress(bodyStart, header.CompressedPageSize, header.UncompressedPageSize, ref _decompressed);
        // Each dictionary entry takes at least one byte (booleans: one bit), so a count beyond that is corrupt.
        if ((long)header.NumValues > (long)body.Length * 8) throw Error(bodyOffset, $"column '{_field.Name}': dictionary of {header.NumValues} values in {body.Length} bytes");
        if (_dictionaryBuffer.Length < body.Length) _dictionaryBuffer = new byte[body.Length];
        body.CopyTo(_dictionaryBuffer);
        DictionaryLength = body.Length;
        DictionaryCount = header.NumValues;
        DictionaryFileOffset = bodyOffset;
        DictionaryVersion++;
    }

    private ReadOnlySpan<byte> Decompress(int start, int compressedLength, int uncompressedLength, ref byte[] buffer) =>
        PageCompression.Decompress(_codec, _chunk.AsSpan(start, compressedLength), _chunk, start, uncompressedLength, ref buffer);

    private void ReadDataPageV1(PageHeader header, int bodyStart, long bodyOffset)
    {
        CheckDataHeader(header, bodyOffset);
        if (!_field.IsNullable && _codec == CompressionCodec.Snappy)
        {
            // Values only (no levels): leave decompression to the consumer, who may target its own buffer.
            SetPage(header, bodyOffset, header.NumValues, _decompressed, 0, 0);
            Defer(bodyStart, header.CompressedPageSize, header.UncompressedPageSize);
            return;
        }
        var body = Decompress(bodyStart, header.CompressedPageSize, header.UncompressedPageSize, ref _decompressed);
        int n = header.NumValues;
        int valuesStart = 0;
        int nonNull = n;
        if (_field.IsNullable)
        {
            if (header.DefinitionLevelEncoding == (int)ParquetEncoding.BitPacked)
            {
                int bytes = (n + 7) / 8;
                if (bytes > body.Length) throw new DecodeException("BIT_PACKED definition levels past the end of the page");
                var levels = Levels(n);
                nonNull = 0;
                for (int i = 0; i < n; i++) nonNull += levels[i] = (byte)((body[i >> 3] >> (7 - (i & 7))) & 1); // MSB first
                valuesStart = bytes;
            }
            else
            {
                if (body.Length < 4) throw new DecodeException("definition levels lack their 4-byte length");
                int length = BinaryPrimitives.ReadInt32LittleEndian(body);
                if (length < 0 || length > body.Length - 4) throw new DecodeException($"definition levels length {length} exceeds the {body.Length - 4} bytes left in the page");
                nonNull = DecodeLevels(body.Slice(4, length), n);
                valuesStart = 4 + length;
            }
        }
        SetPage(header, bodyOffset, nonNull, _codec == CompressionCodec.Uncompressed ? _chunk : _decompressed,
            (_codec == CompressionCodec.Uncompressed ? bodyStart : 0) + valuesStart, body.Length - valuesStart);
    }

    private void ReadDataPageV2(PageHeader header, int bodyStart, long bodyOffset)
    {
        CheckDataHeader(header, bodyOffset);
        int repLength = header.RepetitionLevelsByteLength, defLength = header.DefinitionLevelsByteLength;
        if (repLength < 0 || defLength < 0 || (long)repLength + defLength > header.CompressedPageSize || (long)repLength + defLength > header.UncompressedPageSize)
            throw new DecodeException($"level lengths {repLength}+{defLength} exceed the page size");
        int n = header.NumValues;
        int nonNull = n;
        if (_field.IsNullable) nonNull = DecodeLevels(_chunk.AsSpan(bodyStart + repLength, defLength), n);
        int valuesStart = bodyStart + repLength + defLength;
        int compressedValues = header.CompressedPageSize - repLength - defLength;
        int uncompressedValues = header.UncompressedPageSize - repLength - defLength;
        if (!header.IsCompressed || _codec == CompressionCodec.Uncompressed || (compressedValues == 0 && uncompressedValues == 0))
        {
            // Never hand an empty value section to a decompressor (datapage_v2_empty_datapage).
            if (compressedValues != uncompressedValues)
                throw new DecodeException($"uncompressed value section of {compressedValues} bytes declares {uncompressedValues} bytes");
            SetPage(header, bodyOffset, nonNull, _chunk, valuesStart, compressedValues);
        }
        else if (_codec == CompressionCodec.Snappy)
        {
            SetPage(header, bodyOffset, nonNull, _decompressed, 0, 0);
            Defer(valuesStart, compressedValues, uncompressedValues);
        }
        else
        {
            var values = Decompress(valuesStart, compressedValues, uncompressedValues, ref _decompressed);
            SetPage(header, bodyOffset, nonNull, _decompressed, 0, values.Length);
        }
    }

    private void Defer(int start, int compressedLength, int uncompressedLength)
    {
        _page.DeferredOwner = this;
        _page.CompressedStart = start;
        _page.CompressedLength = compressedLength;
        _page.UncompressedLength = uncompressedLength;
    }

    internal void Materialize(DataPage page)
    {
        page.DeferredOwner = null;
        try
        {
            var values = Decompress(page.CompressedStart, page.CompressedLength, page.UncompressedLength, ref _decompressed);
            page.ValueBuffer = _decompressed;
            page.ValueOffset = 0;
            page.ValueLength = values.Length;
        }
        catch (DecodeException e)
        {
            throw Error(page.FileOffset, e);
        }
    }

    internal void DecompressInto(DataPage page, Span<byte> destination)
    {
        page.DeferredOwner = null;
        var src = _chunk.AsSpan(page.CompressedStart, page.CompressedLength);
        try
        {
            if (src.IsEmpty) throw new DecodeException("empty Snappy block");
            SnappyDecoder.Decompress(src, destination);
        }
        catch (DecodeException e)
        {
            throw Error(page.FileOffset, e);
        }
    }

    private void SetPage(PageHeader header, long bodyOffset, int nonNull, byte[] buffer, int offset, int length)
    {
        _page.DeferredOwner = null;
        _page.NumValues = header.NumValues;
        _page.NonNullCount = nonNull;
        _page.DefinitionLevels = _field.IsNullable ? _levels : null;
        _page.Encoding = (ParquetEncoding)header.Encoding;
        _page.ValueBuffer = buffer;
        _page.ValueOffset = offset;
        _page.ValueLength = length;
        _page.FileOffset = bodyOffset;
        _valuesRead += header.NumValues;
    }

    private Span<byte> Levels(int n)
    {
        if (_levels.Length < n) _levels = new byte[Math.Max(n, _levels.Length * 2)];
        return _levels.AsSpan(0, n);
    }

    /// <summary>Decodes bit-width-1 definition levels; returns how many values are present (level 1).</summary>
    private int DecodeLevels(ReadOnlySpan<byte> data, int n)
    {
        if (_levelInts.Length < n) _levelInts = new int[Math.Max(n, _levelInts.Length * 2)];
        var ints = _levelInts.AsSpan(0, n);
        RleHybrid.Decode(data, 1, ints);
        var levels = Levels(n);
        int present = 0;
        for (int i = 0; i < n; i++)
        {
            int level = ints[i];
            present += level;
            levels[i] = (byte)level;
        }
        return present;
    }
}
