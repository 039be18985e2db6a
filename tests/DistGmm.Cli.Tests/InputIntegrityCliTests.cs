using DistGmm.Testing;

namespace DistGmm.Cli.Tests;

/// <summary>Truncated, over-long and binary input: one short error naming the file, exit 3, memory bounded.</summary>
public sealed class InputIntegrityCliTests
{
    private static string Kdd10 => RepoPaths.InRepo("data", "kddcup.data_10_percent.gz");

    private static string TempDir() => Directory.CreateTempSubdirectory("distgmm-integrity-").FullName;

    /// <summary>The bundled file (2,144,903 bytes) cut inside its header, its deflate data, and its 8-byte trailer.</summary>
    [Theory]
    [InlineData(1_206_049)] // the last partial line still has 42 fields: once accepted as 170,373 rows
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(65_536)]
    [InlineData(500_000)]
    [InlineData(1_000_000)]
    [InlineData(2_000_000)]
    [InlineData(2_144_895)] // every deflate byte, no trailer
    [InlineData(2_144_899)] // half the trailer
    public void A_truncated_gzip_is_refused_by_ingest_and_run(long length)
    {
        var dir = TempDir();
        try
        {
            var cut = Path.Combine(dir, $"kdd-cut-{length}.gz");
            using (var source = File.OpenRead(Kdd10))
            using (var target = File.Create(cut))
            {
                var buffer = new byte[length];
                source.ReadExactly(buffer);
                target.Write(buffer);
            }
            foreach (var command in new[] { "ingest", "run" })
            {
                var r = CliRunner.Run(command, cut, "--out", Path.Combine(dir, command));
                Assert.True(ExitCodes.BadInput == r.ExitCode, $"{command}: exit {r.ExitCode}: {r.Error}");
                var error = Assert.Single(r.ErrorLines, l => l.StartsWith("distgmm: ", StringComparison.Ordinal));
                Assert.Contains("truncated", error);
                Assert.Contains(cut, error);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(10L << 20)]
    [InlineData(1_200_000_000L)]
    public void An_over_long_line_is_one_short_error_with_bounded_memory(long lineBytes)
    {
        var dir = TempDir();
        try
        {
            var input = Path.Combine(dir, "long-line.csv");
            using (var file = new FileStream(input, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var chunk = new byte[1 << 20];
                chunk.AsSpan().Fill((byte)'7');
                for (var written = 0L; written < lineBytes; written += chunk.Length)
                    file.Write(chunk, 0, (int)Math.Min(chunk.Length, lineBytes - written));
                file.Write("\n0,tcp,http\n"u8);
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var r = CliRunner.Run("ingest", input, "--out", Path.Combine(dir, "ds"));
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            Assert.Equal(ExitCodes.BadInput, r.ExitCode);
            var line = Assert.Single(r.ErrorLines);
            Assert.Contains(input, line);
            Assert.Contains("line 1: line longer than the 1 MiB limit", line);
            Assert.Contains("\"" + new string('7', 80) + "\"", line);
            Assert.True(line.Length < 400, line);
            // The reader never holds more than its fixed 1 MiB window: allocation stays far below the line's size.
            Assert.True(allocated < 64L << 20, $"{allocated:N0} bytes allocated");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Binary_garbage_with_skip_is_refused()
    {
        var dir = TempDir();
        try
        {
            var input = Path.Combine(dir, "garbage.bin");
            var bytes = new byte[1 << 20];
            new Random(17).NextBytes(bytes);
            File.WriteAllBytes(input, bytes);
            var r = CliRunner.Run("ingest", input, "--out", Path.Combine(dir, "ds"), "--on-bad-row", "skip");
            Assert.Equal(ExitCodes.BadInput, r.ExitCode);
            Assert.Contains("binary data", Assert.Single(r.ErrorLines));
            Assert.False(Directory.Exists(Path.Combine(dir, "ds")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
