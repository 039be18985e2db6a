using System.Diagnostics;
using DistGmm.Testing;
using Xunit;
using Xunit.Abstractions;

namespace DistGmm.Parquet.Tests;

/// <summary>
/// Seeded mutations of corpus files (bit flips, byte overwrites, truncation, footer- and page-targeted damage), each
/// read whole by DistGmm.Parquet.FuzzReader in a child process: native code that crashed or hung could take only that
/// process down, and the test counts it. Every file must either read or fail with one line naming it.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Mutations = 10_000;

    /// <summary>Generous per-file guard (a CPU-starved machine reads these small files in milliseconds): a hang, not a speed check.</summary>
    private static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(30);

    private static readonly string[] Seeds =
    [
        "alltypes_plain.parquet", "alltypes_dictionary.parquet", "alltypes_plain.snappy.parquet", "binary.parquet",
        "byte_array_decimal.parquet", "datapage_v1-snappy-compressed-checksum.parquet", "delta_encoding_required_column.parquet",
        "rle_boolean_encoding.parquet", "fixed_length_byte_array.parquet", "nan_in_stats.parquet", "dict-page-offset-zero.parquet",
        "unknown-logical-type.parquet", "float16_nonzeros_and_nans.parquet", "plain-dict-uncompressed-checksum.parquet",
        "rle-dict-uncompressed-corrupt-checksum.parquet", "data_index_bloom_encoding_stats.parquet", "int32_decimal.parquet",
        "datapage_v2_empty_datapage.snappy.parquet", "byte_stream_split_extended.gzip.parquet", "byte_stream_split.zstd.parquet",
        "hadoop_lz4_compressed.parquet", "lz4_raw_compressed.parquet", "non_hadoop_lz4_compressed.parquet", "int96_from_spark.parquet",
    ];

    private static readonly string[] GeneratedSeeds =
    [
        "parquet-wasm-snappy-v1.parquet", "parquet-wasm-snappy-v2.parquet", "hyparquet-writer-gzip-v2.parquet",
        "parquetjs-brotli-v1.parquet", "enc-parquet-wasm-delta-v2.parquet", "enc-hyparquet-writer-delta-length-v2.parquet",
        "parquet-wasm-zstd-v2.parquet", "parquet-wasm-lz4_raw-v1.parquet",
    ];

    [Fact]
    public async Task TenThousandSeededMutationsNeverCrashOrHangTheReader()
    {
        var files = Seeds.Select(Corpus.File)
            .Concat(GeneratedSeeds.Select(n => Path.Combine(Corpus.Dir, "generated", n)))
            .Select(p => (Name: Path.GetFileName(p), Bytes: File.ReadAllBytes(p)))
            .ToArray();
        Assert.True(files.Length >= 20);
        var dir = Directory.CreateTempSubdirectory("distgmm-fuzz-").FullName;
        var child = new ChildReader();
        try
        {
            // The unmutated files all read.
            foreach (var (name, bytes) in files)
            {
                var path = Path.Combine(dir, name);
                await File.WriteAllBytesAsync(path, bytes);
                var answer = await child.ReadAsync(path, HangAfter);
                Assert.True(answer.Line?.StartsWith("ok ", StringComparison.Ordinal) == true, $"{name}: {answer.Line ?? answer.Fault}");
                File.Delete(path);
            }
            var random = new Random(20240611);
            int rejected = 0, crashes = 0, hangs = 0;
            var problems = new List<string>();
            for (var m = 0; m < Mutations; m++)
            {
                var (name, original) = files[m % files.Length];
                var data = Mutate(original, random, out var how);
                var path = Path.Combine(dir, $"{m:D5}-{name}");
                await File.WriteAllBytesAsync(path, data);
                var answer = await child.ReadAsync(path, HangAfter);
                File.Delete(path);
                var label = $"{name} mutation {m} ({how})";
                if (answer.Fault is { } fault)
                {
                    if (fault.StartsWith("hang", StringComparison.Ordinal)) hangs++;
                    else crashes++;
                    problems.Add($"{label}: {fault}");
                    continue;
                }
                var line = answer.Line!;
                if (line.StartsWith("ok ", StringComparison.Ordinal)) continue;
                rejected++;
                if (!line.StartsWith("error " + path + ": ", StringComparison.Ordinal) || line.Contains("\\n", StringComparison.Ordinal)
                    || line.Contains("N7parquet", StringComparison.Ordinal))
                    problems.Add($"{label}: {line}");
            }
            output.WriteLine($"{Mutations} mutations of {files.Length} files: {rejected} rejected with one line, {crashes} crashes, {hangs} hangs");
            Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
            Assert.Equal(0, crashes);
            Assert.Equal(0, hangs);
            Assert.InRange(rejected, Mutations / 10, Mutations); // the mutations do hit
        }
        finally
        {
            child.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The child process, started again after a crash or a hang.</summary>
    private sealed class ChildReader : IDisposable
    {
        private Process? _process;

        public async Task<(string? Line, string? Fault)> ReadAsync(string path, TimeSpan hangAfter)
        {
            var process = _process ??= Start();
            await process.StandardInput.WriteLineAsync(path);
            await process.StandardInput.FlushAsync();
            var read = process.StandardOutput.ReadLineAsync();
            if (await Task.WhenAny(read, Task.Delay(hangAfter)) != read)
            {
                Stop();
                return (null, $"hang: no answer within {hangAfter.TotalSeconds} s");
            }
            var line = await read;
            if (line is not null) return (line, null);
            process.WaitForExit();
            var code = process.ExitCode;
            Stop();
            return (null, $"crash: the reader process ended with exit code {code}");
        }

        private static Process Start()
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "DistGmm.Parquet.FuzzReader.dll");
            var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(dll);
            var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start the fuzz reader");
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            return process;
        }

        private void Stop()
        {
            if (_process is null) return;
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
            _process = null;
        }

        public void Dispose()
        {
            if (_process is { HasExited: false } p) p.StandardInput.Close();
            _process?.WaitForExit(10_000);
            Stop();
        }
    }

    private static byte[] Mutate(byte[] original, Random random, out string how)
    {
        var data = (byte[])original.Clone();
        int kind = random.Next(6);
        // Half the damage lands in the footer region, where most structure lives.
        int footerLength = Math.Min(data.Length - 8, BitConverter.ToInt32(data, data.Length - 8));
        int Position() => random.Next(2) == 0 && footerLength > 0
            ? data.Length - 8 - random.Next(footerLength)
            : random.Next(data.Length);
        switch (kind)
        {
            case 0:
            {
                int flips = 1 + random.Next(4);
                for (int i = 0; i < flips; i++)
                {
                    int p = Position();
                    data[p] ^= (byte)(1 << random.Next(8));
                }
                how = $"{flips} bit flips";
                return data;
            }
            case 1:
            {
                int p = Position();
                data[p] = (byte)random.Next(256);
                how = $"byte {p} set";
                return data;
            }
            case 2:
            {
                int p = Position();
                int n = Math.Min(1 + random.Next(16), data.Length - p);
                random.NextBytes(data.AsSpan(p, n));
                how = $"{n} random bytes at {p}";
                return data;
            }
            case 3:
            {
                int p = Position();
                byte[] extremes = [0x00, 0x7F, 0x80, 0xFF];
                data[p] = extremes[random.Next(extremes.Length)];
                how = $"extreme byte at {p}";
                return data;
            }
            case 4:
            {
                int cut = random.Next(data.Length);
                how = $"truncated to {cut}";
                return data[..cut];
            }
            default:
            {
                // Keep the trailing magic and footer length but damage the data region (page headers, pages).
                int dataEnd = Math.Max(5, data.Length - 8 - footerLength);
                int p = 4 + random.Next(Math.Max(1, dataEnd - 4));
                data[p] ^= (byte)(1 + random.Next(255));
                how = $"data byte {p} changed";
                return data;
            }
        }
    }
}
