using System.Globalization;
using System.Numerics;

namespace DistGmm.Data.Parquet;

/// <summary>DECIMAL helpers: unscaled big-endian two's complement integers with a decimal scale.</summary>
public static class DecimalValue
{
    public static BigInteger FromBigEndian(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? BigInteger.Zero : new BigInteger(bytes, isUnsigned: false, isBigEndian: true);

    /// <summary>Exact text with <paramref name="scale"/> fraction digits, e.g. (-1234, 2) → "-12.34".</summary>
    public static string Format(BigInteger unscaled, int scale)
    {
        bool negative = unscaled.Sign < 0;
        string digits = BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture);
        if (scale > 0)
        {
            digits = digits.PadLeft(scale + 1, '0');
            digits = digits[..^scale] + "." + digits[^scale..];
        }
        else if (scale < 0)
        {
            digits += new string('0', -scale);
        }
        return negative ? "-" + digits : digits;
    }

    /// <summary>unscaled / 10^scale as a double (correctly rounded via the exact decimal text).</summary>
    public static double Scale(long unscaled, int scale) =>
        scale == 0 ? unscaled : double.Parse(Format(unscaled, scale), CultureInfo.InvariantCulture);
}

/// <summary>INT96 timestamps: 8-byte little-endian nanoseconds of day, then 4-byte little-endian Julian day.</summary>
public static class Int96
{
    private const long UnixEpochJulianDay = 2440588;
    private const long NanosPerDay = 86_400_000_000_000;

    /// <summary>Exact nanoseconds since 1970-01-01 (may exceed Int64).</summary>
    public static BigInteger ToNanoseconds(ReadOnlySpan<byte> int96)
    {
        long nanosOfDay = BitConverter.ToInt64(int96[..8]);
        int julianDay = BitConverter.ToInt32(int96.Slice(8, 4));
        return (new BigInteger(julianDay) - UnixEpochJulianDay) * NanosPerDay + nanosOfDay;
    }

    public static byte[] FromNanoseconds(long nanosSinceEpoch)
    {
        long day = Math.DivRem(nanosSinceEpoch, NanosPerDay, out long nanos);
        if (nanos < 0) { nanos += NanosPerDay; day--; }
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), nanos);
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 4), checked((int)(day + UnixEpochJulianDay)));
        return bytes;
    }
}
