using Xunit;
using DistGmm.Numerics;

namespace DistGmm.Cluster.Tests;

public sealed class DetectionMetricsTests
{
    private static ShardScored Shard(int shard, double[] scores, string?[] labels) =>
        new("job", shard, default(ScoreMoments).Add(scores), [.. Enumerable.Range(0, scores.Length).Select(i => (long)i)], scores, labels);

    [Fact]
    public void Benign_and_0_labels_count_as_normal_traffic_as_normal_does()
    {
        // Scores rank the two attacks lowest; the threshold flags the lowest and one normal row.
        double[] scores = [-50, -40, -10, -5, 3, 4];
        var kdd = RunFolderWriter.Metrics([Shard(0, scores, ["smurf.", "neptune.", "normal.", "normal.", "normal.", "normal."])], -7)!;
        var cic = RunFolderWriter.Metrics([Shard(0, scores, ["DDoS", "PortScan", "BENIGN", "BENIGN", "Benign", "BENIGN"])], -7)!;
        var binary = RunFolderWriter.Metrics([Shard(0, scores, ["1", "1", "0", "0", "0", "0"])], -7)!;
        foreach (var m in new[] { kdd, cic, binary })
        {
            Assert.Null(m.Note);
            Assert.Equal(1.0, m.RocAuc);
            Assert.Equal(2.0 / 3, m.Precision, 12);
            Assert.Equal(1.0, m.Recall);
        }
    }
}
