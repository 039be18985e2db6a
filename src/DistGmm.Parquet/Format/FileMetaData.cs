using DistGmm.Parquet.Thrift;

namespace DistGmm.Parquet.Format;

// Footer structures of parquet.thrift (only the fields this codec uses; everything else is skipped by wire type).

internal sealed class SchemaElement
{
    public int? Type;
    public int TypeLength;
    public int? RepetitionType; // 0 REQUIRED, 1 OPTIONAL, 2 REPEATED
    public string Name = "";
    public int NumChildren;
    public int? ConvertedType;
    public int Scale;
    public int Precision;
    public ParquetLogicalType? Logical;

    public static SchemaElement Read(ref CompactReader r)
    {
        var e = new SchemaElement();
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: if (r.TryInt32(t, out int type)) e.Type = type; break;
                case 2: r.TryInt32(t, out e.TypeLength); break;
                case 3: if (r.TryInt32(t, out int rep)) e.RepetitionType = rep; break;
                case 4: r.TryString(t, out e.Name); break;
                case 5: r.TryInt32(t, out e.NumChildren); break;
                case 6: if (r.TryInt32(t, out int ct)) e.ConvertedType = ct; break;
                case 7: r.TryInt32(t, out e.Scale); break;
                case 8: r.TryInt32(t, out e.Precision); break;
                case 10:
                    if (t == CompactType.Struct) e.Logical = LogicalTypeCodec.Read(ref r);
                    else r.Skip(t);
                    break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
        return e;
    }

    public void Write(CompactWriter w)
    {
        w.BeginStructElement();
        if (Type is { } type) w.I32(1, type);
        if (Type == (int)PhysicalType.FixedLenByteArray) w.I32(2, TypeLength);
        if (RepetitionType is { } rep) w.I32(3, rep);
        w.String(4, Name);
        if (NumChildren > 0) w.I32(5, NumChildren);
        if (ConvertedType is { } ct) w.I32(6, ct);
        if (Logical?.Kind == LogicalKind.Decimal)
        {
            w.I32(7, Scale);
            w.I32(8, Precision);
        }
        if (Logical is not null) LogicalTypeCodec.Write(w, 10, Logical);
        w.EndStruct();
    }
}

internal sealed class KeyValue
{
    public string Key = "";
    public string? Value;

    public static KeyValue Read(ref CompactReader r)
    {
        var kv = new KeyValue();
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: r.TryString(t, out kv.Key); break;
                case 2: if (r.TryString(t, out string v)) kv.Value = v; break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
        return kv;
    }

    public void Write(CompactWriter w)
    {
        w.BeginStructElement();
        w.String(1, Key);
        if (Value is not null) w.String(2, Value);
        w.EndStruct();
    }
}

internal sealed class Statistics
{
    public byte[]? Max;       // legacy field 1 (signed order)
    public byte[]? Min;       // legacy field 2
    public long? NullCount;
    public long? DistinctCount;
    public byte[]? MaxValue;  // field 5
    public byte[]? MinValue;  // field 6

    public static Statistics Read(ref CompactReader r)
    {
        var s = new Statistics();
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: if (r.TryBinary(t, out var max)) s.Max = max.ToArray(); break;
                case 2: if (r.TryBinary(t, out var min)) s.Min = min.ToArray(); break;
                case 3: if (r.TryInt(t, out long nc)) s.NullCount = nc; break;
                case 4: if (r.TryInt(t, out long dc)) s.DistinctCount = dc; break;
                case 5: if (r.TryBinary(t, out var maxV)) s.MaxValue = maxV.ToArray(); break;
                case 6: if (r.TryBinary(t, out var minV)) s.MinValue = minV.ToArray(); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
        return s;
    }

    public void Write(CompactWriter w, short fieldId)
    {
        w.BeginStruct(fieldId);
        if (NullCount is { } nc) w.I64(3, nc);
        if (DistinctCount is { } dc) w.I64(4, dc);
        if (MaxValue is not null) w.Binary(5, MaxValue);
        if (MinValue is not null) w.Binary(6, MinValue);
        w.EndStruct();
    }
}

internal sealed class ColumnMetaData
{
    public int Type;
    public List<int> Encodings = [];
    public List<string> PathInSchema = [];
    public int Codec;
    public long NumValues;
    public long TotalUncompressedSize;
    public long TotalCompressedSize;
    public long DataPageOffset;
    public long? DictionaryPageOffset;
    public Statistics? Statistics;

    public static ColumnMetaData Read(ref CompactReader r)
    {
        var m = new ColumnMetaData();
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: r.TryInt32(t, out m.Type); break;
                case 2:
                    if (r.TryList(t, out int n, out byte et))
                        for (int i = 0; i < n; i++)
                        {
                            if (r.TryInt32(et, out int enc)) m.Encodings.Add(enc);
                        }
                    break;
                case 3:
                    if (r.TryList(t, out int np, out byte pt))
                        for (int i = 0; i < np; i++)
                        {
                            if (r.TryString(pt, out string part)) m.PathInSchema.Add(part);
                        }
                    break;
                case 4: r.TryInt32(t, out m.Codec); break;
                case 5: r.TryInt(t, out m.NumValues); break;
                case 6: r.TryInt(t, out m.TotalUncompressedSize); break;
                case 7: r.TryInt(t, out m.TotalCompressedSize); break;
                case 9: r.TryInt(t, out m.DataPageOffset); break;
                case 11: if (r.TryInt(t, out long dpo)) m.DictionaryPageOffset = dpo; break;
                case 12:
                    if (t == CompactType.Struct) m.Statistics = Statistics.Read(ref r);
                    else r.Skip(t);
                    break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
        return m;
    }

    public void Write(CompactWriter w, short fieldId)
    {
        w.BeginStruct(fieldId);
        w.I32(1, Type);
        w.ListHeader(2, CompactType.I32, Encodings.Count);
        foreach (int e in Encodings) w.RawI32(e);
        w.ListHeader(3, CompactType.Binary, PathInSchema.Count);
        foreach (string p in PathInSchema) w.RawString(p);
        w.I32(4, Codec);
        w.I64(5, NumValues);
        w.I64(6, TotalUncompressedSize);
        w.I64(7, TotalCompressedSize);
        w.I64(9, DataPageOffset);
        if (DictionaryPageOffset is { } dpo) w.I64(11, dpo);
        Statistics?.Write(w, 12);
        w.EndStruct();
    }
}

internal sealed class ColumnChunk
{
    public long FileOffset;
    public string? FilePath;
    public ColumnMetaData? MetaData;
    public bool Encrypted;

    public static ColumnChunk Read(ref CompactReader r)
    {
        var c = new ColumnChunk();
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: if (r.TryString(t, out string p)) c.FilePath = p; break;
                case 2: r.TryInt(t, out c.FileOffset); break;
                case 3:
                    if (t == CompactType.Struct) c.MetaData = ColumnMetaData.Read(ref r);
                    else r.Skip(t);
                    break;
                case 8:
                case 9: c.Encrypted = true; r.Skip(t); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
        return c;
    }

    public void Write(CompactWriter w)
    {
        w.BeginStructElement();
        w.I64(2, FileOffset);
        MetaData!.Write(w, 3);
        w.EndStruct();
    }
}

internal sealed class RowGroup
{
    public List<ColumnChunk> Columns = [];
    public long TotalByteSize;
    public long NumRows;
    public long? FileOffset;
    public long? TotalCompressedSize;

    public static RowGroup Read(ref CompactReader r)
    {
        var g = new RowGroup();
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1:
                    if (r.TryList(t, out int n, out byte et))
                        for (int i = 0; i < n; i++)
                        {
                            if (et != CompactType.Struct) throw r.Error("row group columns are not structs");
                            g.Columns.Add(ColumnChunk.Read(ref r));
                        }
                    break;
                case 2: r.TryInt(t, out g.TotalByteSize); break;
                case 3: r.TryInt(t, out g.NumRows); break;
                case 5: if (r.TryInt(t, out long fo)) g.FileOffset = fo; break;
                case 6: if (r.TryInt(t, out long tcs)) g.TotalCompressedSize = tcs; break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
        return g;
    }

    public void Write(CompactWriter w)
    {
        w.BeginStructElement();
        w.ListHeader(1, CompactType.Struct, Columns.Count);
        foreach (var c in Columns) c.Write(w);
        w.I64(2, TotalByteSize);
        w.I64(3, NumRows);
        if (FileOffset is { } fo) w.I64(5, fo);
        if (TotalCompressedSize is { } tcs) w.I64(6, tcs);
        w.EndStruct();
    }
}

internal sealed class FileMetaData
{
    public int Version;
    public List<SchemaElement> Schema = [];
    public long NumRows;
    public List<RowGroup> RowGroups = [];
    public List<KeyValue> KeyValueMetadata = [];
    public string? CreatedBy;
    public bool HasEncryptionAlgorithm;

    public static FileMetaData Read(ref CompactReader r)
    {
        var f = new FileMetaData();
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            switch (id)
            {
                case 1: r.TryInt32(t, out f.Version); break;
                case 2:
                    if (r.TryList(t, out int n, out byte et))
                        for (int i = 0; i < n; i++)
                        {
                            if (et != CompactType.Struct) throw r.Error("schema elements are not structs");
                            f.Schema.Add(SchemaElement.Read(ref r));
                        }
                    break;
                case 3: r.TryInt(t, out f.NumRows); break;
                case 4:
                    if (r.TryList(t, out int ng, out byte gt))
                        for (int i = 0; i < ng; i++)
                        {
                            if (gt != CompactType.Struct) throw r.Error("row groups are not structs");
                            f.RowGroups.Add(RowGroup.Read(ref r));
                        }
                    break;
                case 5:
                    if (r.TryList(t, out int nk, out byte kt))
                        for (int i = 0; i < nk; i++)
                        {
                            if (kt != CompactType.Struct) throw r.Error("key/value metadata entries are not structs");
                            f.KeyValueMetadata.Add(KeyValue.Read(ref r));
                        }
                    break;
                case 6: if (r.TryString(t, out string cb)) f.CreatedBy = cb; break;
                case 8: f.HasEncryptionAlgorithm = true; r.Skip(t); break;
                default: r.Skip(t); break;
            }
        }
        r.EndStruct(saved);
        return f;
    }

    public void Write(CompactWriter w)
    {
        w.I32(1, Version);
        w.ListHeader(2, CompactType.Struct, Schema.Count);
        foreach (var e in Schema) e.Write(w);
        w.I64(3, NumRows);
        w.ListHeader(4, CompactType.Struct, RowGroups.Count);
        foreach (var g in RowGroups) g.Write(w);
        if (KeyValueMetadata.Count > 0)
        {
            w.ListHeader(5, CompactType.Struct, KeyValueMetadata.Count);
            foreach (var kv in KeyValueMetadata) kv.Write(w);
        }
        if (CreatedBy is not null) w.String(6, CreatedBy);
        w.Stop();
    }
}
