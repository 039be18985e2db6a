using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using DistGmm.Data.Parquet;
using DistGmm.Testing;

namespace DistGmm.Benchmarks;

/// <summary>
/// Parquet speed: decoding a DOUBLE column (PLAIN, Snappy) into a double[] on one core, writing the KDD 10% data
/// (494,021 rows × 42 columns) as Snappy Parquet (ParquetSharp).
/// Run: dotnet run -c Release --project tests/DistGmm.Benchmarks -- --filter '*ParquetBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class ParquetBenchmarks
{
    private string _dir = "";
    private string _randomDoubles = "";
    private string _kddFile = "";
    private string _kddPlainFile = "";
    private string[] _kddNumeric = [];
    private KddTable _kdd = null!;
    private double[] _buffer = [];

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("distgmm-parquet-bench").FullName;
        _randomDoubles = Path.Combine(_dir, "doubles.parquet");
        ParquetSpeed.WriteRandomDoubles(_randomDoubles, ParquetSpeed.DoubleRows);
        _buffer = new double[ParquetSpeed.DoubleRows];
        _kdd = KddTable.Load(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz"));
        _kddFile = Path.Combine(_dir, "kdd.parquet");
        _kdd.Write(_kddFile, CompressionCodec.Snappy);
        _kddPlainFile = Path.Combine(_dir, "kdd-plain.parquet");
        _kdd.Write(_kddPlainFile, CompressionCodec.Snappy, dictionary: false);
        _kddNumeric = _kdd.Schema.Fields.Where(f => f.PhysicalType == PhysicalType.Double).Select(f => f.Name).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>GB/s = DoubleRows × 8 bytes / time.</summary>
    [Benchmark]
    public int DecodeRandomDoubleColumn() => ParquetSpeed.ReadAll(_randomDoubles, "x", _buffer);

    [Benchmark]
    public int DecodeKddSrcBytesColumn() => ParquetSpeed.ReadAll(_kddFile, "src_bytes", _buffer);

    /// <summary>GB/s = 38 columns × 494,021 rows × 8 bytes / time.</summary>
    [Benchmark]
    public int DecodeKddDoubleColumnsPlainSnappy()
    {
        int total = 0;
        foreach (var name in _kddNumeric) total += ParquetSpeed.ReadAll(_kddPlainFile, name, _buffer);
        return total;
    }

    [Benchmark]
    public void WriteKdd10PercentSnappy() => _kdd.Write(Path.Combine(_dir, "kdd-out.parquet"), CompressionCodec.Snappy);
}

/// <summary>Shared helpers and a plain-timing quick mode (<see cref="Run"/>) for the Parquet numbers.</summary>
public static class ParquetSpeed
{
    public const int DoubleRows = 4 << 20;

    public static void WriteRandomDoubles(string path, int rows)
    {
        var random = new Random(42);
        var values = new double[rows];
        for (int i = 0; i < rows; i++) values[i] = random.NextDouble() * 1e6 - 5e5;
        var field = ParquetField.Double("x");
        using var writer = new ParquetFileWriter(path, new ParquetSchema([field]),
            new ParquetWriteOptions { Codec = CompressionCodec.Snappy, Dictionary = false, RowGroupSize = 1 << 20 });
        writer.WriteRowGroup([ParquetColumn.FromDoubles(field, values, rows)]);
    }

    /// <summary>Reads every row group of one numeric column into <paramref name="buffer"/> via the fast path.</summary>
    public static int ReadAll(string path, string column, double[] buffer)
    {
        using var reader = ParquetFileReader.Open(path);
        int total = 0;
        for (int g = 0; g < reader.RowGroupCount; g++) total += reader.ReadDoubles(g, column, buffer.AsSpan(total));
        return total;
    }

    /// <summary>Quick mode: median CPU time of several runs; prints GB/s of decoded doubles and KDD write seconds.</summary>
    public static int Run(string[] args)
    {
        int repeats = args.Length > 1 && args[0] == "--repeats" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        var dir = Directory.CreateTempSubdirectory("distgmm-parquet-quick").FullName;
        try
        {
            string doubles = Path.Combine(dir, "doubles.parquet");
            WriteRandomDoubles(doubles, DoubleRows);
            var buffer = new double[DoubleRows];
            double t = Median(repeats, () => ReadAll(doubles, "x", buffer));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"decode DOUBLE (PLAIN, Snappy, random values, {DoubleRows} rows, {new FileInfo(doubles).Length} bytes): {t * 1e3:F1} ms = {DoubleRows * 8.0 / t / 1e9:F2} GB/s"));

            var sw = Stopwatch.StartNew();
            var kdd = KddTable.Load(RepoPaths.InRepo("data", "kddcup.data_10_percent.gz"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parse KDD 10% CSV.gz: {kdd.Rows} rows × 42 columns in {sw.Elapsed.TotalSeconds:F2} s"));
            string kddFile = Path.Combine(dir, "kdd.parquet");
            double w = Median(repeats, () => kdd.Write(kddFile, CompressionCodec.Snappy));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"write KDD 10% as Snappy Parquet: {w:F3} s ({new FileInfo(kddFile).Length} bytes)"));
            string plainFile = Path.Combine(dir, "kdd-plain.parquet");
            kdd.Write(plainFile, CompressionCodec.Snappy, dictionary: false);
            var numeric = kdd.Schema.Fields.Where(f => f.PhysicalType == PhysicalType.Double).Select(f => f.Name).ToArray();
            double k = Median(repeats, () => { foreach (var name in numeric) ReadAll(plainFile, name, buffer); });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"decode the {numeric.Length} KDD DOUBLE columns (PLAIN, Snappy, {kdd.Rows} rows each): {k * 1e3:F1} ms = {numeric.Length * kdd.Rows * 8.0 / k / 1e9:F2} GB/s"));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Median seconds of this thread's CPU time over the repeats (the work is single-threaded). CPU time,
    /// not wall time, so the number does not depend on how many other jobs share the machine's cores.</summary>
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec value);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>CLOCK_THREAD_CPUTIME_ID (Linux); wall time elsewhere.</summary>
    private static double ThreadCpuSeconds() =>
        OperatingSystem.IsLinux() && ClockGetTime(3, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    private static double Median(int repeats, Action action)
    {
        action(); // warm-up: JIT, page cache
        var times = new List<double>();
        var wall = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            double cpu = ThreadCpuSeconds();
            var sw = Stopwatch.StartNew();
            action();
            wall.Add(sw.Elapsed.TotalSeconds);
            times.Add(ThreadCpuSeconds() - cpu);
        }
        times.Sort();
        wall.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (median wall {wall[wall.Count / 2] * 1e3:F1} ms, CPU {times[times.Count / 2] * 1e3:F1} ms)"));
        return times[times.Count / 2];
    }
}

/// <summary>The KDD Cup 99 CSV (41 features + label, no header) as columns: 4 strings, 38 doubles.</summary>
public sealed class KddTable
{
    private static readonly string[] Names =
    [
        "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land", "wrong_fragment", "urgent", "hot",
        "num_failed_logins", "logged_in", "num_compromised", "root_shell", "su_attempted", "num_root", "num_file_creations",
        "num_shells", "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count", "srv_count",
        "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate", "same_srv_rate", "diff_srv_rate",
        "srv_diff_host_rate", "dst_host_count", "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
        "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate", "dst_host_srv_serror_rate",
        "dst_host_rerror_rate", "dst_host_srv_rerror_rate", "label",
    ];

    private static bool IsText(int column) => column is 1 or 2 or 3 or 41;

    public int Rows { get; private init; }

    public double[][] Doubles { get; private init; } = [];

    public string?[][] Strings { get; private init; } = [];

    public static KddTable Load(string gzPath)
    {
        var doubles = Enumerable.Range(0, 42).Select(_ => new List<double>()).ToArray();
        var strings = Enumerable.Range(0, 42).Select(_ => new List<string?>()).ToArray();
        var interned = new Dictionary<string, string>(StringComparer.Ordinal);
        using var gz = new GZipStream(File.OpenRead(gzPath), CompressionMode.Decompress);
        using var text = new StreamReader(gz);
        int rows = 0;
        while (text.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (cells.Length != 42) throw new InvalidDataException($"{gzPath}: line {rows + 1} has {cells.Length} fields, expected 42");
            for (int c = 0; c < 42; c++)
            {
                if (IsText(c))
                {
                    if (!interned.TryGetValue(cells[c], out var s)) interned[cells[c]] = s = cells[c];
                    strings[c].Add(s);
                }
                else doubles[c].Add(double.Parse(cells[c], CultureInfo.InvariantCulture));
            }
            rows++;
        }
        return new KddTable
        {
            Rows = rows,
            Doubles = doubles.Select(d => d.ToArray()).ToArray(),
            Strings = strings.Select(s => s.ToArray()).ToArray(),
        };
    }

    public ParquetSchema Schema { get; } = new(Names.Select((n, c) => IsText(c) ? ParquetField.String(n) : ParquetField.Double(n)).ToArray());

    public void Write(string path, CompressionCodec codec, bool dictionary = true)
    {
        var columns = Schema.Fields.Select((f, c) => IsText(c)
            ? ParquetColumn.FromStrings(f, Strings[c], Rows)
            : ParquetColumn.FromDoubles(f, Doubles[c], Rows)).ToArray();
        using var writer = new ParquetFileWriter(path, Schema, new ParquetWriteOptions { Codec = codec, Dictionary = dictionary });
        writer.WriteRowGroup(columns);
    }
}
