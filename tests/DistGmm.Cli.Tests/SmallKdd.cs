using System.IO.Compression;
using DistGmm.Testing;

namespace DistGmm.Cli.Tests;

/// <summary>Small real KDD files cut from the bundled 10% data, made once per test run.</summary>
public static class SmallKdd
{
    private static readonly Lazy<string> Rows3000 = new(() => Cut(3000));
    private static readonly Lazy<string> Rows20000 = new(() => Cut(20_000));

    /// <summary>The first 3,000 rows of data/kddcup.data_10_percent.gz (raw format, labels with '.').</summary>
    public static string File3000 => Rows3000.Value;

    /// <summary>The first 20,000 rows (the report's plot budget: a run of this size hands every row to the plots).</summary>
    public static string File20000 => Rows20000.Value;

    private static string Cut(int rows)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("distgmm-cli-tests-").FullName, $"kdd-{rows}.csv");
        using var input = new StreamReader(new GZipStream(File.OpenRead(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz")), CompressionMode.Decompress));
        using var output = new StreamWriter(path);
        for (var i = 0; i < rows && input.ReadLine() is { } line; i++) output.WriteLine(line);
        return path;
    }
}
