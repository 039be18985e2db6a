using DistGmm.Parquet.Thrift;

namespace DistGmm.Parquet.Format;

/// <summary>The LogicalType union of parquet.thrift, and the mapping from legacy ConvertedType values.</summary>
internal static class LogicalTypeCodec
{
    public static ParquetLogicalType Read(ref CompactReader r)
    {
        ParquetLogicalType? result = null;
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            if (t != CompactType.Struct)
            {
                r.Skip(t);
                continue;
            }
            result = id switch
            {
                1 => Empty(ref r, LogicalKind.String),
                4 => Empty(ref r, LogicalKind.Enum),
                5 => ReadDecimal(ref r),
                6 => Empty(ref r, LogicalKind.Date),
                7 => ReadTime(ref r, LogicalKind.Time),
                8 => ReadTime(ref r, LogicalKind.Timestamp),
                10 => ReadInteger(ref r),
                12 => Empty(ref r, LogicalKind.Json),
                13 => Empty(ref r, LogicalKind.Bson),
                14 => Empty(ref r, LogicalKind.Uuid),
                15 => Empty(ref r, LogicalKind.Float16),
                17 => Empty(ref r, LogicalKind.Geometry),
                18 => Empty(ref r, LogicalKind.Geography),
                2 or 3 or 16 => Empty(ref r, LogicalKind.Other), // MAP, LIST, VARIANT: groups, rejected as nested
                _ => Empty(ref r, LogicalKind.Unknown),           // unknown union member: fall back to the physical type
            };
        }
        r.EndStruct(saved);
        return result ?? new ParquetLogicalType(LogicalKind.Unknown);
    }

    private static ParquetLogicalType Empty(ref CompactReader r, LogicalKind kind)
    {
        r.Skip(CompactType.Struct);
        return new ParquetLogicalType(kind);
    }

    private static ParquetLogicalType ReadDecimal(ref CompactReader r)
    {
        int scale = 0, precision = 0;
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            if (id == 1) r.TryInt32(t, out scale);
            else if (id == 2) r.TryInt32(t, out precision);
            else r.Skip(t);
        }
        r.EndStruct(saved);
        return ParquetLogicalType.Decimal(precision, scale);
    }

    private static ParquetLogicalType ReadTime(ref CompactReader r, LogicalKind kind)
    {
        bool utc = false;
        var unit = TimeUnit.Millis;
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            if (id == 1) r.TryBool(t, out utc);
            else if (id == 2 && t == CompactType.Struct)
            {
                var unitSaved = r.BeginStruct();
                while (r.NextField(out short uid, out byte ut))
                {
                    if (uid is >= 1 and <= 3) unit = (TimeUnit)(uid - 1);
                    r.Skip(ut);
                }
                r.EndStruct(unitSaved);
            }
            else r.Skip(t);
        }
        r.EndStruct(saved);
        return new ParquetLogicalType(kind, Unit: unit, IsAdjustedToUtc: utc);
    }

    private static ParquetLogicalType ReadInteger(ref CompactReader r)
    {
        int bitWidth = 0;
        bool signed = true;
        var saved = r.BeginStruct();
        while (r.NextField(out short id, out byte t))
        {
            if (id == 1) r.TryInt32(t, out bitWidth);
            else if (id == 2) r.TryBool(t, out signed);
            else r.Skip(t);
        }
        r.EndStruct(saved);
        return ParquetLogicalType.Integer(bitWidth, signed);
    }

    public static void Write(CompactWriter w, short fieldId, ParquetLogicalType logical)
    {
        short member = logical.Kind switch
        {
            LogicalKind.String => 1,
            LogicalKind.Enum => 4,
            LogicalKind.Decimal => 5,
            LogicalKind.Date => 6,
            LogicalKind.Time => 7,
            LogicalKind.Timestamp => 8,
            LogicalKind.Integer => 10,
            LogicalKind.Json => 12,
            LogicalKind.Bson => 13,
            LogicalKind.Uuid => 14,
            LogicalKind.Float16 => 15,
            _ => 0,
        };
        if (member == 0) return;
        w.BeginStruct(fieldId);
        w.BeginStruct(member);
        switch (logical.Kind)
        {
            case LogicalKind.Decimal:
                w.I32(1, logical.Scale);
                w.I32(2, logical.Precision);
                break;
            case LogicalKind.Time:
            case LogicalKind.Timestamp:
                w.Bool(1, logical.IsAdjustedToUtc);
                w.BeginStruct(2);
                w.BeginStruct((short)((int)logical.Unit + 1));
                w.EndStruct();
                w.EndStruct();
                break;
            case LogicalKind.Integer:
                w.I8(1, (sbyte)logical.BitWidth);
                w.Bool(2, logical.IsSigned);
                break;
        }
        w.EndStruct();
        w.EndStruct();
    }

    /// <summary>Legacy ConvertedType → logical type (as the format spec's compatibility table maps them).</summary>
    public static ParquetLogicalType? FromConverted(int convertedType, int precision, int scale) => convertedType switch
    {
        0 => ParquetLogicalType.String,
        4 => new ParquetLogicalType(LogicalKind.Enum),
        5 => ParquetLogicalType.Decimal(precision, scale),
        6 => ParquetLogicalType.Date,
        7 => new ParquetLogicalType(LogicalKind.Time, Unit: TimeUnit.Millis),
        8 => new ParquetLogicalType(LogicalKind.Time, Unit: TimeUnit.Micros),
        9 => ParquetLogicalType.Timestamp(TimeUnit.Millis),
        10 => ParquetLogicalType.Timestamp(TimeUnit.Micros),
        11 => ParquetLogicalType.Integer(8, false),
        12 => ParquetLogicalType.Integer(16, false),
        13 => ParquetLogicalType.Integer(32, false),
        14 => ParquetLogicalType.Integer(64, false),
        15 => ParquetLogicalType.Integer(8, true),
        16 => ParquetLogicalType.Integer(16, true),
        17 => ParquetLogicalType.Integer(32, true),
        18 => ParquetLogicalType.Integer(64, true),
        19 => new ParquetLogicalType(LogicalKind.Json),
        20 => new ParquetLogicalType(LogicalKind.Bson),
        1 or 2 or 3 => new ParquetLogicalType(LogicalKind.Other),
        _ => null,
    };

    /// <summary>Logical type → legacy ConvertedType written beside it for old readers (null when none applies).</summary>
    public static int? ToConverted(ParquetLogicalType logical) => logical.Kind switch
    {
        LogicalKind.String => 0,
        LogicalKind.Enum => 4,
        LogicalKind.Decimal => 5,
        LogicalKind.Date => 6,
        LogicalKind.Time when logical.Unit == TimeUnit.Millis => 7,
        LogicalKind.Time when logical.Unit == TimeUnit.Micros => 8,
        LogicalKind.Timestamp when logical.Unit == TimeUnit.Millis && logical.IsAdjustedToUtc => 9,
        LogicalKind.Timestamp when logical.Unit == TimeUnit.Micros && logical.IsAdjustedToUtc => 10,
        LogicalKind.Integer => (logical.BitWidth, logical.IsSigned) switch
        {
            (8, false) => 11, (16, false) => 12, (32, false) => 13, (64, false) => 14,
            (8, true) => 15, (16, true) => 16, (32, true) => 17, (64, true) => 18,
            _ => null,
        },
        LogicalKind.Json => 19,
        LogicalKind.Bson => 20,
        _ => null,
    };
}
