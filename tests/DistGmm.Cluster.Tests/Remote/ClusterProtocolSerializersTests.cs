using DistGmm.Cluster.Remote;
using DistGmm.Numerics;
using DistGmm.Remoting;
using DistGmm.Remoting.Serialization;
using Xunit;

namespace DistGmm.Cluster.Tests.Remote;

public sealed class ClusterProtocolSerializersTests
{
    private static readonly MessageSerializerRegistry Registry = new MessageSerializerRegistry().RegisterClusterProtocol();

    private static T RoundTrip<T>(T message) where T : notnull
    {
        var (typeName, payload) = Registry.Serialize(message);
        Assert.StartsWith("distgmm.cluster.", typeName, StringComparison.Ordinal);
        return Assert.IsType<T>(Registry.Deserialize(typeName, payload));
    }

    private static GaussianMixture Model() =>
        GaussianMixture.Create(CovarianceType.Diag, [0.25, 0.75], [[1.5, -2.25], [0.1, 1e-300]], [[0.5, 2.0], [3.0, 1e-9]]);

    [Fact]
    public void Control_messages_round_trip_field_for_field()
    {
        Assert.Equal(new WorkerReady("w-1", 3), RoundTrip(new WorkerReady("w-1", 3)));
        Assert.Equal(new ShardLoaded("j", "w", 4, 123_456_789_012, 39), RoundTrip(new ShardLoaded("j", "w", 4, 123_456_789_012, 39)));
        Assert.Equal(new ShardLoadFailed("j", "w", 2, "bad file"), RoundTrip(new ShardLoadFailed("j", "w", 2, "bad file")));
        Assert.Equal(new ReleaseJob("job-é"), RoundTrip(new ReleaseJob("job-é")));
        Assert.Equal(new WorkFailed("j", "w", "scores lost"), RoundTrip(new WorkFailed("j", "w", "scores lost")));
        Assert.Equal(new JoinCluster("worker-3"), RoundTrip(new JoinCluster("worker-3")));
        Assert.Equal(new JoinAccepted("coordinator"), RoundTrip(new JoinAccepted("coordinator")));

        var load = RoundTrip(new LoadShards("j", new DatasetRef("/data/ds", "{\"p\":1}", ["normal", "smurf"]), [0, 3, 7]));
        Assert.Equal(("j", "/data/ds", "{\"p\":1}"), (load.JobId, load.Dataset.DatasetDir, load.Dataset.PreprocessorJson));
        Assert.Equal(["normal", "smurf"], load.Dataset.KeepLabels);
        Assert.Equal([0, 3, 7], load.Shards);
    }

    [Fact]
    public void Numeric_payloads_keep_every_bit()
    {
        var model = Model();
        var pass = RoundTrip(new ComputePass("j", 5, new EStepPass(5, model), [new ShardSlice(1, 0), new ShardSlice(2, 5_000_000_000)]));
        Assert.Equal(new EStepPass(5, model).ToBytes(), pass.Pass.ToBytes());
        Assert.Equal([new ShardSlice(1, 0), new ShardSlice(2, 5_000_000_000)], pass.Shards);

        byte[] result = [1, 2, 3, 255];
        Assert.Equal(result, RoundTrip(new ShardStatsComputed("j", 5, 2, result)).ResultBytes);

        var score = RoundTrip(new ScoreShards("j", model.ToBytes(), [2, 1]));
        Assert.Equal(model.ToBytes(), score.ModelBytes);
        Assert.Equal([2, 1], score.Shards);

        double[] scores = [-0.0, double.NaN, double.NegativeInfinity, double.Epsilon, 137.679];
        var scored = RoundTrip(new ShardScored("j", 3, new ScoreMoments(5, 1.25, 0.1), [10, 11, 12, 13, long.MaxValue], scores, ["normal", null, "smurf", "x", "y"]));
        Assert.Equal(new ScoreMoments(5, 1.25, 0.1), scored.Moments);
        Assert.Equal([10, 11, 12, 13, long.MaxValue], scored.RowIds);
        Assert.Equal(scores.Select(BitConverter.DoubleToInt64Bits), scored.Scores.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(new string?[] { "normal", null, "smurf", "x", "y" }, scored.Labels!.AsEnumerable());
        Assert.Null(RoundTrip(new ShardScored("j", 0, new ScoreMoments(0, 0, 0), [], [], null)).Labels);

        var collect = RoundTrip(new CollectAnomalies("j", -12.5, model.ToBytes(), [0]));
        Assert.Equal((-12.5, 1), (collect.Threshold, collect.Shards.Count));

        var anomalies = RoundTrip(new AnomaliesCollected("j", 1, ["duration", "src_bytes"], ["protocol_type"],
            [new AnomalyRow(42, -99.5, null, [0.0, 1e308], [null]), new AnomalyRow(43, -100, "smurf", [1, 2], ["icmp"])]));
        Assert.Equal(["duration", "src_bytes"], anomalies.NumericColumns);
        Assert.Equal(["protocol_type"], anomalies.TextColumns);
        Assert.Equal(2, anomalies.Rows.Count);
        Assert.Equal((42L, -99.5, (string?)null), (anomalies.Rows[0].RowId, anomalies.Rows[0].Score, anomalies.Rows[0].Label));
        Assert.Equal([0.0, 1e308], anomalies.Rows[0].Numbers);
        Assert.Equal(new string?[] { null }, anomalies.Rows[0].Texts.AsEnumerable());
        Assert.Equal(new string?[] { "icmp" }, anomalies.Rows[1].Texts.AsEnumerable());
        Assert.Equal("smurf", anomalies.Rows[1].Label);
    }

    [Fact]
    public void A_truncated_payload_fails_naming_the_message_type_and_offset()
    {
        var (typeName, payload) = Registry.Serialize(new ShardLoaded("job", "w", 4, 100, 39));
        var error = Assert.Throws<MessageSerializationException>(() => Registry.Deserialize(typeName, payload.AsMemory(0, payload.Length - 2)));
        Assert.Contains("distgmm.cluster.ShardLoaded", error.Message, StringComparison.Ordinal);
        Assert.Contains("offset", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_row_count_fails_instead_of_allocating()
    {
        var (typeName, payload) = Registry.Serialize(new AnomaliesCollected("j", 1, [], [], []));
        BitConverter.TryWriteBytes(payload.AsSpan(payload.Length - 4), int.MaxValue); // the row count is the last field
        var error = Assert.Throws<MessageSerializationException>(() => Registry.Deserialize(typeName, payload));
        Assert.Contains("does not fit", error.Message, StringComparison.Ordinal);
    }
}
