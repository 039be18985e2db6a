using DistGmm.Evaluation;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Evaluation.Tests;

/// <summary>Hold-out selection on training rows: the split by distinct record, the candidate comparison, the defaults.</summary>
public sealed class HoldoutSelectionTests
{
    /// <summary>12 distinct 2-d records; record g has g + 1 copies, rows interleaved so copies are not adjacent.</summary>
    private static DataMatrix WithCopies()
    {
        var rows = new List<(double, double)>();
        for (var copy = 0; copy < 12; copy++)
            for (var g = copy; g < 12; g++) rows.Add((g, g * g));
        return new DataMatrix(rows.SelectMany(r => new[] { r.Item1, r.Item2 }).ToArray(), rows.Count, 2);
    }

    [Fact]
    public void CopiesOfARecordStayOnOneSideAndEachHeldOutRecordIsScoredOnce()
    {
        var data = WithCopies();
        var groups = DistinctHoldout.GroupIds(data, out var first);
        Assert.Equal(12, first.Count);
        Assert.Equal(Enumerable.Range(0, 12), first.Select(r => (int)data.Row(r)[0])); // first-appearance order

        var (fit, validate) = DistinctHoldout.Split(data, 0.25, seed: 7);
        Assert.Equal(3, validate.Length); // ⌊0.25 · 12⌋ distinct records, once each
        var heldOut = validate.Select(r => groups[r]).ToHashSet();
        Assert.Equal(3, heldOut.Count);
        Assert.DoesNotContain(fit, r => heldOut.Contains(groups[r]));
        // Every copy of every other record is fitted.
        Assert.Equal(data.Rows - heldOut.Sum(g => g + 1), fit.Length);
        Assert.Equal(fit.Order(), fit);
        Assert.Equal(validate.Order(), validate);
        // The held-out records are the first 3 of numpy's RandomState(7).permutation(12).
        Assert.Equal(new NumpyRandomState(7).Permutation(12)[..3].Order(), heldOut.Order());
    }

    [Fact]
    public void SplitIsSeededAndRejectsFractionsThatLeaveASideEmpty()
    {
        var data = WithCopies();
        var (fitA, validateA) = DistinctHoldout.Split(data, 0.25, 3);
        var (fitB, validateB) = DistinctHoldout.Split(data, 0.25, 3);
        Assert.Equal(fitA, fitB);
        Assert.Equal(validateA, validateB);
        Assert.Throws<ArgumentException>(() => DistinctHoldout.Split(data, 0.05, 0)); // ⌊0.6⌋ = 0 records held out
        Assert.Throws<ArgumentException>(() => DistinctHoldout.Split(data, 1.0, 0));
    }

    [Fact]
    public void NegativeZeroAndZeroAreDistinctRecordsButEqualBitsAreCopies()
    {
        var data = new DataMatrix([0.0, 1.0, -0.0, 1.0, 0.0, 1.0], 3, 2);
        Assert.Equal([0, 1, 0], DistinctHoldout.GroupIds(data, out _));
    }

    /// <summary>Three separated blobs with every row duplicated: K=3 predicts unseen records better than K=1.</summary>
    [Fact]
    public void HoldoutKeepsTheBestHeldOutLikelihoodAndRefitsOnAllTrainingRows()
    {
        var random = new Random(5);
        var values = new List<double>();
        for (var i = 0; i < 600; i++)
        {
            var centre = (i % 3) * 10.0;
            double x = centre + random.NextDouble(), y = random.NextDouble();
            values.AddRange([x, y, x, y]); // each record twice
        }
        var data = new DataMatrix([.. values], 1200, 2);
        var fitted = ModelRunner.FitByHoldout(data, [1, 3], [1e-6, 1e-1], seed: 0, new EvalSettings(Threads: 1));
        var candidates = fitted.Selection!;
        Assert.Equal([(1, 1e-6), (1, 1e-1), (3, 1e-6), (3, 1e-1)], candidates.Select(c => (c.K, c.RegCovar!.Value)));
        var best = candidates.MaxBy(c => c.HoldoutMeanLogLikelihood!.Value)!;
        Assert.Equal(3, best.K);
        Assert.Equal(best.K, fitted.Fit.Model.K);
        Assert.Equal(best.RegCovar, fitted.RegCovar);
        Assert.Equal(1200, fitted.Fit.Rows); // the final fit sees every training row
        Assert.All(candidates, c => Assert.True(c.HoldoutMeanLogLikelihood < c.MeanLogLikelihood + 50)); // scored on unseen records
    }

    [Fact]
    public void DagmmDefaultsCompareKByHoldoutAtTheDequantisationRegCovar()
    {
        var selection = ProtocolDefaults.Resolve(EvalProtocol.Dagmm, new EvalSettings());
        Assert.Equal(SelectBy.Holdout, selection.By);
        Assert.Equal(ProtocolDefaults.DagmmKs, selection.Ks);
        Assert.Null(selection.RegCovars);
        Assert.Equal(1.0 / 12, selection.RegCovar);
        Assert.True(selection.Searches);
        Assert.Equal(1e-6, ProtocolDefaults.Resolve(EvalProtocol.NslKdd, new EvalSettings()).RegCovar);
        Assert.Equal(1e-3, ProtocolDefaults.Resolve(EvalProtocol.Dagmm, new EvalSettings(RegCovar: 1e-3)).RegCovar);
    }

    [Fact]
    public void FixedSettingsAndBicResolveWithoutRegCovarCandidates()
    {
        var fixedFit = ProtocolDefaults.Resolve(EvalProtocol.Dagmm, new EvalSettings(K: 4, RegCovar: 1e-3));
        Assert.Null(fixedFit.Ks);
        Assert.Null(fixedFit.RegCovars);
        Assert.False(fixedFit.Searches);

        var bic = ProtocolDefaults.Resolve(EvalProtocol.Dagmm, new EvalSettings(SelectK: [1, 2], SelectBy: SelectBy.Bic));
        Assert.Equal([1, 2], bic.Ks);
        Assert.Null(bic.RegCovars);

        var subsets = ProtocolDefaults.Resolve(EvalProtocol.Subsets, new EvalSettings());
        Assert.Equal(SelectBy.Bic, subsets.By);
        Assert.Null(subsets.RegCovars);

        // Naming reg_covar candidates implies the hold-out comparison; asking BIC to compare them is refused.
        Assert.Equal(SelectBy.Holdout, ProtocolDefaults.Resolve(EvalProtocol.Subsets, new EvalSettings(SelectRegCovar: [1e-3, 1e-2])).By);
        Assert.Throws<ArgumentException>(() => new EvalSettings(SelectRegCovar: [1e-3], SelectBy: SelectBy.Bic).Validate());
    }
}
