using DistGmm.Parquet.Compression;
using DistGmm.Parquet.Encodings;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>Our Snappy codec against IronSnappy (an independent implementation), both directions.</summary>
public sealed class SnappyTests
{
    public static TheoryData<string> Kinds() => ["empty", "one", "zeros", "random", "doubles", "text", "short-period", "mixed-large"];

    internal static byte[] Sample(string kind)
    {
        var random = new Random(kind.GetHashCode(StringComparison.Ordinal) & 0x7FFF);
        switch (kind)
        {
            case "empty": return [];
            case "one": return [42];
            case "zeros": return new byte[200_000];
            case "random":
            {
                var b = new byte[100_003];
                random.NextBytes(b);
                return b;
            }
            case "doubles":
            {
                var d = new double[50_000];
                for (int i = 0; i < d.Length; i++) d[i] = i % 3 == 0 ? random.Next(100) : random.NextDouble() * 1e6;
                return System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.AsSpan()).ToArray();
            }
            case "text":
                return System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"row-{i % 97},tcp,http,SF,{i * 31 % 1000};")));
            case "short-period":
                return Enumerable.Range(0, 70_000).Select(i => (byte)(i % 3 == 0 ? 7 : i % 5)).ToArray();
            default:
            {
                var b = new byte[300_000];
                for (int i = 0; i < b.Length; i++) b[i] = (byte)(i % 1000 < 500 ? random.Next(4) : i / 1000);
                return b;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void WeDecodeWhatIronSnappyEncodes(string kind)
    {
        var original = Sample(kind);
        var compressed = IronSnappy.Snappy.Encode(original);
        var decoded = new byte[SnappyDecoder.GetUncompressedLength(compressed, out _)];
        SnappyDecoder.Decompress(compressed, decoded);
        Assert.Equal(original, decoded);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void IronSnappyDecodesWhatWeEncode(string kind)
    {
        var original = Sample(kind);
        var compressed = new byte[SnappyEncoder.MaxCompressedLength(original.Length)];
        int length = SnappyEncoder.Compress(original, compressed);
        Assert.Equal(original, IronSnappy.Snappy.Decode(compressed.AsSpan(0, length)));
        var decoded = new byte[original.Length];
        SnappyDecoder.Decompress(compressed.AsSpan(0, length), decoded);
        Assert.Equal(original, decoded);
        int reference = IronSnappy.Snappy.Encode(original).Length;
        Assert.True(length <= reference * 11 / 10 + 16, $"{kind}: {length} bytes, IronSnappy {reference}");
    }

    [Fact]
    public void RunsWithEveryShortPeriodDecodeExactly()
    {
        // Periods 1..17 produce copies with small offsets (the overlapping-copy path), at every length mod 16.
        for (int period = 1; period <= 17; period++)
            for (int length = 1; length <= 300; length += 13)
            {
                var original = Enumerable.Range(0, length).Select(i => (byte)(i % period * 37 + 1)).ToArray();
                foreach (var compressed in new[] { IronSnappy.Snappy.Encode(original), Ours(original) })
                {
                    var decoded = new byte[original.Length];
                    SnappyDecoder.Decompress(compressed, decoded);
                    Assert.Equal(original, decoded);
                }
            }
    }

    private static byte[] Ours(byte[] original)
    {
        var compressed = new byte[SnappyEncoder.MaxCompressedLength(original.Length)];
        return compressed[..SnappyEncoder.Compress(original, compressed)];
    }

    [Fact]
    public void CorruptBlocksRaiseDecodeErrors()
    {
        var original = Sample("text");
        var compressed = IronSnappy.Snappy.Encode(original);
        var random = new Random(7);
        int rejected = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            var bad = (byte[])compressed.Clone();
            if (trial % 3 == 0) bad = bad[..random.Next(bad.Length)];
            else bad[random.Next(bad.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                int declared = SnappyDecoder.GetUncompressedLength(bad, out _);
                if (declared > 10 * original.Length) { rejected++; continue; }
                SnappyDecoder.Decompress(bad, new byte[declared]);
            }
            catch (DecodeException)
            {
                rejected++;
            }
        }
        Assert.True(rejected > 500, $"only {rejected} of 2000 corruptions detected");
    }

    [Fact]
    public void CopyBeforeTheStartOfOutputIsRejected()
    {
        // Preamble 8, then a 1-byte-offset copy (length 4, offset 1) with nothing written yet.
        byte[] block = [8, 0b000_000_01, 1];
        Assert.Throws<DecodeException>(() => SnappyDecoder.Decompress(block, new byte[8]));
    }
}
