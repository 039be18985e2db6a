using System.Security.Cryptography;
using DistGmm.Numerics;
using DistGmm.Testing;
using Xunit;

namespace DistGmm.Numerics.Tests;

/// <summary>
/// The 512-, 256- and 128-bit kernels give the same bits: in this process (each path the hardware runs), and in child
/// processes whose start-up path the runtime switches force (AVX-512 off, AVX2 off, AVX off).
/// </summary>
public sealed class KernelPathTests
{
    private static int[] Paths => KernelPath.VectorBits switch { 512 => [512, 256, 128], 256 => [256, 128], _ => [128] };

    [Fact]
    public void StatisticsAreBitIdenticalOnEveryPath()
    {
        // d = 13 pads to 16 (padding lanes), the row count leaves a partial block, panel and chunk.
        var data = TestData.Blobs(31, 2 * SufficientStatistics.ChunkRows + 77, 13, 4);
        foreach (var type in Enum.GetValues<CovarianceType>())
        {
            var model = TestData.Model(3, data, 4, type);
            var expected = SufficientStatistics.Compute(model, data, 2, Paths[0]).ToBytes();
            foreach (var bits in Paths[1..])
                Assert.True(expected.AsSpan().SequenceEqual(SufficientStatistics.Compute(model, data, 2, bits).ToBytes()),
                    $"{type}: the {bits}-bit statistics differ from the {Paths[0]}-bit ones");
        }
    }

    [Fact]
    public void FullStatisticsAreBitIdenticalOnEveryPathAtLargerKAndD()
    {
        // 5 components × 60 dimensions (60 is a multiple of 4, not of 8: the last 8-wide chunk of a 512-bit transpose is half padding).
        var data = TestData.Blobs(32, 3 * 4 * EStepKernel.BlockRows + 21, 60, 5);
        var model = TestData.Model(5, data, 5, CovarianceType.Full);
        var expected = SufficientStatistics.Compute(model, data, 2, Paths[0]).ToBytes();
        foreach (var bits in Paths[1..])
            Assert.True(expected.AsSpan().SequenceEqual(SufficientStatistics.Compute(model, data, 2, bits).ToBytes()),
                $"the {bits}-bit statistics differ from the {Paths[0]}-bit ones");
    }

    [Fact]
    public void ScoresAndAssignedStatisticsAreBitIdenticalOnEveryPath()
    {
        var data = TestData.Blobs(5, 3 * EStepKernel.BlockRows + 9, 6, 3);
        foreach (var type in Enum.GetValues<CovarianceType>())
        {
            var model = TestData.Model(4, data, 3, type);
            double[]? expectedScores = null;
            byte[]? expectedAssigned = null;
            foreach (var bits in Paths)
            {
                var scores = new double[data.Rows];
                var kernel = new EStepKernel(model, collectStatistics: false, fullSecondMoments: false, bits);
                var assigned = new EStepKernel(model.Means, model.IsTriangular, bits);
                var resp = assigned.AssignmentScratch;
                for (int start = 0; start < data.Rows; start += EStepKernel.BlockRows)
                {
                    int count = Math.Min(EStepKernel.BlockRows, data.Rows - start);
                    var rows = data.Values.AsSpan(start * data.Cols, count * data.Cols);
                    kernel.ProcessBlock(rows, count);
                    kernel.LogLikelihood(count).CopyTo(scores.AsSpan(start, count));
                    for (int r = 0; r < count; r++)
                        for (int k = 0; k < model.K; k++) resp[k * EStepKernel.BlockRows + r] = (start + r + k) % 3 / 3.0 + 0.1 * k;
                    assigned.AccumulateAssigned(rows, count, resp);
                }
                var flushed = assigned.Flush(type).ToBytes();
                expectedScores ??= scores;
                expectedAssigned ??= flushed;
                Assert.True(expectedScores.AsSpan().SequenceEqual(scores), $"{type}: {bits}-bit scores differ");
                Assert.True(expectedAssigned.AsSpan().SequenceEqual(flushed), $"{type}: {bits}-bit assigned statistics differ");
            }
        }
    }

    [Theory]
    [InlineData(3, 13, true)]    // d pads to 16
    [InlineData(5, 60, true)]    // d a multiple of 4, not of 8
    [InlineData(3, 13, false)]   // rows in random order: few all-zero groups, the 512-bit path packs lanes instead
    [InlineData(5, 60, false)]
    public void SkippingZeroResponsibilitiesGivesTheBitsOfTheDenseAccumulation(int k, int d, bool ordered)
    {
        // Rows from k far-apart blobs, in runs (lengths not multiples of 8, so groups mix blobs at the seams) or in
        // random order: a row's other components are thousands of nats away, their responsibilities exactly 0.
        var rng = new Random(17);
        var centres = Enumerable.Range(0, k).Select(c => Enumerable.Range(0, d).Select(_ => 40.0 * c + rng.NextDouble()).ToArray()).ToArray();
        int n = 5 * 4 * EStepKernel.BlockRows + 37;
        var values = new double[n * d];
        var blob = new int[n];
        for (int r = 0, c = 0; r < n; c = (c + 1) % k)
            for (int run = ordered ? 13 + rng.Next(60) : 1; run > 0 && r < n; run--, r++)
            {
                blob[r] = ordered ? c : rng.Next(k);
                for (int j = 0; j < d; j++) values[r * d + j] = centres[blob[r]][j] + TestData.Normal(rng);
            }
        var data = new DataMatrix(values, n, d);
        var model = GaussianMixture.Create(CovarianceType.Full, [.. Enumerable.Repeat(1.0 / k, k)], centres, [.. Enumerable.Range(0, k).Select(_ => Identity(d))]);

        foreach (var bits in Paths)
        {
            var (dense, _) = Moments(skip: false, bits, model, data, blob);
            var (skipped, groups) = Moments(skip: true, bits, model, data, blob);
            if (ordered) Assert.True(groups.Skipped > groups.Groups / 2, $"{bits}-bit: {groups.Skipped} of {groups.Groups} groups skipped");
            else if (bits >= 256) Assert.True(groups.Packed > 0 && groups.Skipped > groups.Groups / 2, $"{bits}-bit: {groups.Skipped} of {groups.Groups} vectors saved, {groups.Packed} packed");
            Assert.True(dense.EStep.AsSpan().SequenceEqual(skipped.EStep), $"{bits}-bit: E-step statistics differ when zero groups are skipped");
            Assert.True(dense.Assigned.AsSpan().SequenceEqual(skipped.Assigned), $"{bits}-bit: hard-assignment statistics differ when zero groups are skipped");
        }
    }

    [Theory]
    [InlineData(3, 13, true)]
    [InlineData(5, 60, true)]
    [InlineData(4, 39, false)]   // rows in random order: few groups of rows are all far from a component
    public void PruningFarComponentsGivesTheBitsOfTheFullTriangularProduct(int k, int d, bool ordered)
    {
        // Far-apart blobs with different weights and spreads (so the bound's log det and log w terms differ by
        // component), plus bridge rows between two blobs.
        var rng = new Random(29);
        var centres = Enumerable.Range(0, k).Select(c => Enumerable.Range(0, d).Select(_ => 30.0 * c + rng.NextDouble()).ToArray()).ToArray();
        int n = 6 * EStepKernel.BlockRows + 45;
        var values = new double[n * d];
        for (int r = 0, c = 0; r < n; c = (c + 1) % k)
            for (int run = ordered ? 64 + rng.Next(64) : 1; run > 0 && r < n; run--, r++)
            {
                int blob = ordered ? c : rng.Next(k), other = (blob + 1) % k;
                // A bridge row (no noise) sits where both blobs' Mahalanobis distances are equal: its two log-probabilities
                // are a few nats apart (log det and log w), so neither may be pruned, whichever is computed first.
                bool bridge = r % 37 == 5;
                double t = bridge ? Spread(blob) / (Spread(blob) + Spread(other)) : 0;
                for (int j = 0; j < d; j++)
                    values[r * d + j] = centres[blob][j] + t * (centres[other][j] - centres[blob][j]) + (bridge ? 0 : Spread(blob) * TestData.Normal(rng));
            }
        var data = new DataMatrix(values, n, d);
        var weights = Enumerable.Range(1, k).Select(i => (double)i).ToArray();
        var model = GaussianMixture.Create(CovarianceType.Full, [.. weights.Select(w => w / weights.Sum())], centres,
            [.. Enumerable.Range(0, k).Select(c => Scaled(Identity(d), Spread(c) * Spread(c)))]);

        static double Spread(int blob) => 0.5 + 0.05 * blob;

        foreach (var bits in Paths)
        {
            var (full, _) = EStepWithPruning(prune: false, bits, model, data);
            var (pruned, work) = EStepWithPruning(prune: true, bits, model, data);
            if (ordered) Assert.True(work.Done < work.Total * 0.8, $"{bits}-bit: {work.Done} of {work.Total} work units done");
            // The 512-bit path prunes 32 rows at a time: in random order they are almost never all far from a component.
            if (!ordered && bits < 512) Assert.True(work.Done < work.Total, $"{bits}-bit: nothing pruned");
            Assert.True(full.Scores.AsSpan().SequenceEqual(pruned.Scores), $"{bits}-bit: log-likelihoods differ when far components are pruned");
            Assert.True(full.Labels.AsSpan().SequenceEqual(pruned.Labels), $"{bits}-bit: most probable components differ when far components are pruned");
            Assert.True(full.Statistics.AsSpan().SequenceEqual(pruned.Statistics), $"{bits}-bit: E-step statistics differ when far components are pruned");
        }
    }

    private static ((double[] Scores, int[] Labels, byte[] Statistics), (long Total, long Done)) EStepWithPruning(bool prune, int bits, GaussianMixture model, DataMatrix data)
    {
        var scoring = new EStepKernel(model, collectStatistics: false, fullSecondMoments: false, bits) { PruneFarComponents = prune };
        var collecting = new EStepKernel(model, collectStatistics: true, fullSecondMoments: true, bits) { PruneFarComponents = prune };
        var scores = new double[data.Rows];
        var labels = new int[data.Rows];
        for (int start = 0; start < data.Rows; start += EStepKernel.BlockRows)
        {
            int count = Math.Min(EStepKernel.BlockRows, data.Rows - start);
            var rows = data.Values.AsSpan(start * data.Cols, count * data.Cols);
            scoring.ProcessBlock(rows, count);
            scoring.LogLikelihood(count).CopyTo(scores.AsSpan(start, count));
            scoring.ArgMax(count, labels.AsSpan(start, count));
            collecting.ProcessBlock(rows, count);
        }
        var (t1, d1) = scoring.TriangularWork;
        var (t2, d2) = collecting.TriangularWork;
        return ((scores, labels, collecting.Flush(CovarianceType.Full).ToBytes()), (t1 + t2, d1 + d2));
    }

    private static double[] Scaled(double[] m, double s) => [.. m.Select(v => v * s)];

    private static ((byte[] EStep, byte[] Assigned), (long Groups, long Skipped, long Packed)) Moments(bool skip, int bits, GaussianMixture model, DataMatrix data, int[] blob)
    {
        var kernel = new EStepKernel(model, collectStatistics: true, fullSecondMoments: true, bits) { SkipZeroResponsibilityGroups = skip };
        var assigned = new EStepKernel(model.Means, fullSecondMoments: true, bits) { SkipZeroResponsibilityGroups = skip };
        var resp = assigned.AssignmentScratch;
        for (int start = 0; start < data.Rows; start += EStepKernel.BlockRows)
        {
            int count = Math.Min(EStepKernel.BlockRows, data.Rows - start);
            var rows = data.Values.AsSpan(start * data.Cols, count * data.Cols);
            kernel.ProcessBlock(rows, count);
            Array.Clear(resp);
            for (int r = 0; r < count; r++) resp[blob[start + r] * EStepKernel.BlockRows + r] = 1;
            assigned.AccumulateAssigned(rows, count, resp);
        }
        var eStep = kernel.Flush(CovarianceType.Full).ToBytes();
        var hard = assigned.Flush(CovarianceType.Full).ToBytes();
        var (g1, s1, p1) = kernel.MomentGroups;
        var (g2, s2, p2) = assigned.MomentGroups;
        return ((eStep, hard), (g1 + g2, s1 + s2, p1 + p2));
    }

    private static double[] Identity(int d)
    {
        var m = new double[d * d];
        for (int i = 0; i < d; i++) m[i * d + i] = 1;
        return m;
    }

    [Fact]
    public void ANonFiniteRowDoesNotChangeItsNeighboursOnAnyPath()
    {
        // A NaN row sits in the same vector as finite rows on the wide paths; the finite rows' scores must not depend on it.
        var data = TestData.Blobs(6, 16, 5, 2);
        var model = TestData.Model(2, data, 2, CovarianceType.Full);
        var clean = Score(model, data.Values, KernelPath.VectorBits);
        var dirty = (double[])data.Values.Clone();
        dirty[3 * 5 + 2] = double.NaN;
        foreach (var bits in Paths)
        {
            var scores = Score(model, dirty, bits);
            Assert.True(double.IsNaN(scores[3]));
            for (int r = 0; r < 16; r++)
                if (r != 3) Assert.Equal(BitConverter.DoubleToInt64Bits(clean[r]), BitConverter.DoubleToInt64Bits(scores[r]));
        }
    }

    private static double[] Score(GaussianMixture model, double[] values, int bits)
    {
        int n = values.Length / model.D;
        var kernel = new EStepKernel(model, collectStatistics: false, fullSecondMoments: false, bits);
        kernel.ProcessBlock(values, n);
        return kernel.LogLikelihood(n).ToArray();
    }

    [Fact]
    public void ThePeakIsTheLargerOfTheNominalAndTheMeasuredOneOnEveryPath()
    {
        foreach (var bits in Paths)
        {
            var peak = KernelPath.Peak(bits);
            Assert.Equal(bits, peak.VectorBits);
            Assert.True(peak.MeasuredCoreGflops > 0, peak.Describe());
            double measured = peak.Cores * peak.MeasuredCoreGflops;
            Assert.Equal(double.IsNaN(peak.NominalGflops) ? measured : Math.Max(measured, peak.NominalGflops), peak.Gflops);
            Assert.Equal(peak.MeasuredCoreGflops, KernelPath.MeasuredCoreGflops(bits));   // measured once per width
            Assert.Contains("FMA pipes", peak.Describe(), StringComparison.Ordinal);
        }
    }

    /// <summary>The runtime's switches, each in a child process: the same statistics and models, byte for byte.</summary>
    [Fact]
    public void ForcedNarrowerPathsInChildProcessesGiveByteIdenticalStatisticsAndModels()
    {
        var runs = new (string Name, string[] Env)[]
        {
            ("default", []),
            // .NET 10 names the AVX-512 switch EnableAVX512 (EnableAVX512F is no longer read); both are set.
            ("AVX-512 off", ["DOTNET_EnableAVX512=0", "DOTNET_EnableAVX512F=0"]),
            ("AVX2 off", ["DOTNET_EnableAVX2=0"]),
            ("AVX off", ["DOTNET_EnableAVX=0"]),
            // The fast 128-bit path: 128-bit vectors with hardware FMA, as on ARM64 (AVX2 off would also take FMA away).
            ("128-bit preferred", ["DOTNET_EnableAVX512=0", "DOTNET_PreferredVectorBitWidth=128"]),
        };
        var outputs = runs.Select(r => (r.Name, Lines: RunFingerprint(r.Env))).ToArray();
        var reference = outputs[0].Lines;
        foreach (var (name, lines) in outputs)
        {
            Assert.True(lines.Length == reference.Length, $"{name}: {string.Join(" | ", lines)}");
            // Line 0 is the path; the rest are digests, which must all agree.
            for (int i = 1; i < lines.Length; i++) Assert.True(reference[i] == lines[i], $"{name} ({lines[0]}): {lines[i]} vs {reference[i]} ({reference[0]})");
        }
        // The switches did select narrower paths where the hardware had the wider ones.
        if (KernelPath.VectorBits == 512) Assert.StartsWith("256", outputs[1].Lines[0], StringComparison.Ordinal);
        if (KernelPath.VectorBits >= 256) Assert.StartsWith("128", outputs[2].Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("128", outputs[3].Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("128", outputs[4].Lines[0], StringComparison.Ordinal);
        if (KernelPath.HardwareFma) Assert.EndsWith(", hardware FMA", outputs[4].Lines[0], StringComparison.Ordinal);
    }

    private static string[] RunFingerprint(string[] env)
    {
        var (exitCode, stdout, stderr) = DotnetExec.Run(typeof(KernelPathTests).Assembly.Location, [KernelFingerprint.Command], env);
        Assert.True(exitCode == 0, $"child [{string.Join(' ', env)}] exited {exitCode}: {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}

/// <summary>
/// The child side of <see cref="KernelPathTests"/>: `dotnet exec DistGmm.Numerics.Tests.dll kernel-fingerprint` prints the
/// kernel path, then SHA-256 digests of E-step statistics and fitted models (all covariance types) on fixed data.
/// </summary>
public static class KernelFingerprint
{
    public const string Command = "kernel-fingerprint";

    public static int Main(string[] args)
    {
        if (args.Length != 1 || args[0] != Command)
        {
            Console.Error.WriteLine($"usage: dotnet exec DistGmm.Numerics.Tests.dll {Command}");
            return 2;
        }
        Console.WriteLine(KernelPath.Describe());
        // Small enough for the software-FMA path (AVX2 off) to finish in seconds; two chunks, partial blocks and panels.
        var data = TestData.Blobs(17, SufficientStatistics.ChunkRows + 333, 11, 3);
        foreach (var type in Enum.GetValues<CovarianceType>())
        {
            var model = TestData.Model(8, data, 3, type);
            Console.WriteLine($"stats {type} {Digest(SufficientStatistics.Compute(model, data, 2).ToBytes())}");
            var fit = GaussianMixtureFitter.Fit(data, new EmOptions(3, type, MaxIter: 8, Tol: 0), 2);
            Console.WriteLine($"model {type} {Digest(fit.Model.ToBytes())} {BitConverter.DoubleToInt64Bits(fit.LowerBound):X16}");
            var scores = new double[data.Rows];
            fit.Model.ScoreSamples(data, scores, 2);
            Console.WriteLine($"scores {type} {Digest(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scores.AsSpan()).ToArray())}");
        }
        return 0;
    }

    private static string Digest(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));
}
