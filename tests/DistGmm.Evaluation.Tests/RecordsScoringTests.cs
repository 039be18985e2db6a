using DistGmm.Data;
using DistGmm.Evaluation;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Evaluation.Tests;

/// <summary>The records scoring in the evaluation: what it fits on, how it scores, which sets it is chosen and reported on.</summary>
public sealed class RecordsScoringTests
{
    [Fact]
    public void DevelopmentAndReportSetsAreDisjointAndNamed()
    {
        Assert.Empty(KddSubsets.Development.Intersect(KddSubsets.Report(unsupervised: true)));
        Assert.Equal(["ftp_data", "ftp", "telnet", "udp", "tcp"], KddSubsets.Development.Select(KddSubsets.Name));
        Assert.Equal(["SA", "SF", "http", "smtp", "kdd"], KddSubsets.Report(unsupervised: true).Select(KddSubsets.Name));
        Assert.Equal(KddSubset.FtpData, KddSubsets.Parse("FTP_DATA"));
        Assert.Contains("unknown subset 'dns'", Assert.Throws<ArgumentException>(() => KddSubsets.Parse("dns")).Message);
    }

    [Fact]
    public void ServiceDevelopmentSetsAreBuiltLikeHttpAndProtocolSetsKeepEveryRowOfTheProtocol()
    {
        var table = KddSubsetsTests.Table(
        [
            (0, "ftp", 5, 7, 1, "normal."), (1, "ftp", 5, 7, 0, "normal."), (3, "telnet", 1, 2, 1, "guess_passwd."),
        ]);
        var ftp = KddSubsets.Build(table, KddSubset.Ftp, 0);
        Assert.Equal([0], ftp.SourceRows); // logged in only
        Assert.Equal([Math.Log(0.1), Math.Log(5.1), Math.Log(7.1)], ftp.Features!.Values);
        var telnet = KddSubsets.Build(table, KddSubset.Telnet, 0);
        Assert.Equal([true], telnet.Attack);
        var whole = KddSubsets.Build(table, KddSubset.Kdd, 0);
        Assert.Equal([0, 1, 2], whole.SourceRows);
        Assert.Null(whole.Features); // through the preset, as SA
    }

    [Fact]
    public void RecordsFitsOnDistinctRecordsAndScoresTheMultiplicityOfTheScoredRows()
    {
        // 40 distinct "normal" rows and one record copied 60 times.
        var values = new List<double>();
        var random = new Random(3);
        for (var i = 0; i < 40; i++) { values.Add(random.NextDouble() * 4); values.Add(random.NextDouble() * 4); }
        for (var i = 0; i < 60; i++) { values.Add(2); values.Add(2); }
        var data = new DataMatrix([.. values], 100, 2);
        var settings = new EvalSettings(K: 1, Scoring: Scoring.Records);
        var selection = ProtocolDefaults.Resolve(EvalProtocol.Subsets, settings);
        Assert.Equal(ProtocolDefaults.DequantisationRegCovar, selection.RegCovar);
        var fitted = ModelRunner.Fit(Scoring.Records, data, 1, selection, 0, settings);
        Assert.Equal(41, fitted.FittedRows);
        Assert.Equal(41, fitted.Fit.Rows);

        var rows = ModelRunner.Score(Scoring.Rows, fitted.Fit.Model, data, 1);
        var records = ModelRunner.Score(Scoring.Records, fitted.Fit.Model, data, 1);
        var multiplicity = MultiplicityModel.From(DistinctRecords.Count([data]));
        Assert.Equal(rows[0] + multiplicity.LogProbability(1), records[0]);
        Assert.Equal(rows[99] + multiplicity.LogProbability(60), records[99]);
        // The copied record sits in the middle of the data, yet its 60 copies make it the least likely row.
        Assert.True(records[99] < records.Take(40).Min());
        // mahalanobis: the same multiplicity term on the volume-neutral mixture's log-density.
        var mahalanobis = ModelRunner.Score(Scoring.Mahalanobis, fitted.Fit.Model, data, 1);
        var neutral = ModelRunner.Score(Scoring.Rows, fitted.Fit.Model.VolumeNeutral(), data, 1);
        Assert.Equal(neutral[0] + multiplicity.LogProbability(1), mahalanobis[0]);
        Assert.Equal(neutral[99] + multiplicity.LogProbability(60), mahalanobis[99]);
        // capped: the same multiplicity term on the volume-capped mixture's log-density.
        var capped = ModelRunner.Score(Scoring.Capped, fitted.Fit.Model, data, 1);
        var cappedDensity = ModelRunner.Score(Scoring.Rows, fitted.Fit.Model.VolumeCapped(), data, 1);
        Assert.Equal(cappedDensity[0] + multiplicity.LogProbability(1), capped[0]);
        Assert.Equal(cappedDensity[99] + multiplicity.LogProbability(60), capped[99]);
    }

    [Fact]
    public void UnsupervisedSubsetsDefaultToCappedOverThreeSeedsAndSemiSupervisedToRows()
    {
        var unsupervised = new EvalSettings(SubsetsUnsupervised: true);
        Assert.Equal(Scoring.Capped, ProtocolDefaults.Scoring(EvalProtocol.Subsets, unsupervised));
        Assert.Equal(ProtocolDefaults.DequantisationRegCovar, ProtocolDefaults.Resolve(EvalProtocol.Subsets, unsupervised).RegCovar);
        Assert.Equal(3, ProtocolDefaults.Repeats(EvalProtocol.Subsets, unsupervised));
        Assert.Equal(Scoring.Rows, ProtocolDefaults.Scoring(EvalProtocol.Subsets, new EvalSettings()));
        Assert.Equal(Scoring.Rows, ProtocolDefaults.Scoring(EvalProtocol.Seed, unsupervised));
        Assert.Equal(EvalSettings.DefaultRegCovar, ProtocolDefaults.Resolve(EvalProtocol.Subsets, new EvalSettings()).RegCovar);
        Assert.Equal(5, ProtocolDefaults.Repeats(EvalProtocol.Dagmm, new EvalSettings()));
    }
}
