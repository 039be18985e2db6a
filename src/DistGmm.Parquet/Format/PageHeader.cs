using DistGmm.Parquet.Thrift;

namespace DistGmm.Parquet.Format;

internal enum PageType { DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3 }

internal sealed class PageHeader
{
    public int Type = -1;
    public int UncompressedPageSize = -1;
    public int CompressedPageSize = -1;
    public int? Crc;
    // DATA_PAGE / DATA_PAGE_V2 / DICTIONARY_PAGE payload descriptions (flattened).
    public int NumValues = -1;
    public int Encoding = -1;
    public int DefinitionLevelEncoding;
    public int RepetitionLevelEncoding;
    public int NumNulls;
    public int NumRows;
    public int DefinitionLevelsByteLength;
    public int RepetitionLevelsByteLength;
    public bool IsCompressed = true;
    public bool HasDataHeader;

    public PageType PageType => (PageType)Type;

    public static PageHeader Read(ref CompactReader r)
    {
        var h = new PageHeader();
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: r.TryInt32(t, out h.Type); break;
                case 2: r.TryInt32(t, out h.UncompressedPageSize); break;
                case 3: r.TryInt32(t, out h.CompressedPageSize); break;
                case 4: if (r.TryInt32(t, out int crc)) h.Crc = crc; break;
                case 5 when t == CompactType.Struct: h.ReadDataPage(ref r); break;
                case 7 when t == CompactType.Struct: h.ReadDictionaryPage(ref r); break;
                case 8 when t == CompactType.Struct: h.ReadDataPageV2(ref r); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
        return h;
    }

    private void ReadDataPage(ref CompactReader r)
    {
        HasDataHeader = true;
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: r.TryInt32(t, out NumValues); break;
                case 2: r.TryInt32(t, out Encoding); break;
                case 3: r.TryInt32(t, out DefinitionLevelEncoding); break;
                case 4: r.TryInt32(t, out RepetitionLevelEncoding); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
    }

    private void ReadDictionaryPage(ref CompactReader r)
    {
        HasDataHeader = true;
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: r.TryInt32(t, out NumValues); break;
                case 2: r.TryInt32(t, out Encoding); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
    }

    private void ReadDataPageV2(ref CompactReader r)
    {
        HasDataHeader = true;
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: r.TryInt32(t, out NumValues); break;
                case 2: r.TryInt32(t, out NumNulls); break;
                case 3: r.TryInt32(t, out NumRows); break;
                case 4: r.TryInt32(t, out Encoding); break;
                case 5: r.TryInt32(t, out DefinitionLevelsByteLength); break;
                case 6: r.TryInt32(t, out RepetitionLevelsByteLength); break;
                case 7: r.TryBool(t, out IsCompressed); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
    }

    public void Write(CompactWriter w)
    {
        w.Clear();
        w.I32(1, Type);
        w.I32(2, UncompressedPageSize);
        w.I32(3, CompressedPageSize);
        if (PageType == PageType.DictionaryPage)
        {
            w.BeginStruct(7);
            w.I32(1, NumValues);
            w.I32(2, Encoding);
            w.EndStruct();
        }
        else
        {
            w.BeginStruct(5);
            w.I32(1, NumValues);
            w.I32(2, Encoding);
            w.I32(3, DefinitionLevelEncoding);
            w.I32(4, RepetitionLevelEncoding);
            w.EndStruct();
        }
        w.Stop();
    }
}
