using Akka.Serialization;
using DistGmm.Cluster;
using DistGmm.Cluster.Serialization;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

/// <summary>
/// Every protocol message and journaled event through the Akka serialization of a system with DistGmm's config: it
/// is bound to <see cref="ProtocolSerializer"/> (never Akka's JSON fallback), round-trips byte-exactly, and a
/// truncated, corrupt or unknown payload fails with a <see cref="MessageSerializationException"/> naming it.
/// </summary>
public sealed class ProtocolSerializerTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.Serializing)
{
    private static readonly DataMatrix[] Shards = Synthetic.Shards([40, 70, 30]);
    private static readonly GaussianMixture Model = GaussianMixtureFitter.Fit(Shards, Synthetic.Options(2)).Model;
    private static readonly DatasetRef Dataset = new("/data/kdd-ü", """{"columns":["a","b"]}""", ["normal", "smurf."]);
    private static readonly MultiplicityModel Multiplicity = new([.. Enumerable.Range(0, MultiplicityModel.Bins).Select(b => b < 5 ? 100L - b : b == 62 ? long.MaxValue / 2 : 0)]);

    /// <summary>One or more samples of every wire type, with the awkward values (non-ASCII, nulls, empty lists, NaN, extremes).</summary>
    public static IEnumerable<object> Samples()
    {
        var pass = new EStepPass(7, Model);
        yield return new WorkerReady("worker-3", 16);
        yield return new IdentifyWorker("akka.tcp://distgmm@127.0.0.1:4053");
        yield return new LoadShards("train-1", Dataset, [0, 5, int.MaxValue]);
        yield return new LoadShards("train-1", Synthetic.Dataset, []);
        yield return new ShardLoaded("train-1", "worker-0", 3, 4_898_431_000L, 118);
        yield return new ShardLoadFailed("train-1", "worker-0", 2, "shard-00002.parquet: bad magic at offset 0 — ü");
        yield return new ReleaseJob("score-1-ab12cd34");
        yield return new HoldReplicas("train-1", Dataset, [1, 4]);
        yield return new HoldReplicas("train-1", Synthetic.Dataset, []);
        yield return new ReplicasHeld("train-1", "worker-ü", [4, 1, int.MaxValue]);
        yield return new ReplicasHeld("train-1", "worker-0", []);
        yield return new SkipShards("train-1", 12, [7]);
        yield return new SkipShards("train-1", CoordinatorState.CountingPassNumber, [0, 3]);
        yield return new SkipChunks("train-1", 12, 7, 3);
        yield return new ComputePass("train-1", 7, pass, [new ShardSlice(2, 110), new ShardSlice(0, 0)]);
        yield return new ComputePass("train-1", 0, new SampleRowsPass(0, [0, 17, long.MaxValue]), [new ShardSlice(1, 40)]);
        yield return new ComputePass("train-1", 1, new KMeansPass(1, [[0, 1], [-2.5, double.Epsilon]]), []);
        yield return new ComputePass("train-1", 2, new HardAssignmentPass(2, CovarianceType.Tied, [[1, 2], [3, 4]]), [new ShardSlice(0, 0)]);
        yield return new ComputePass("train-1", 3, new RandomResponsibilityPass(3, CovarianceType.Spherical, ulong.MaxValue, [[0.5, -0.5]]), [new ShardSlice(0, 0)]);
        yield return new ShardStatsComputed("train-1", 7, 2, PartitionCompute.Compute(pass, Shards[2], 110, 1).ToBytes(), 0.0123);
        yield return new ComputePass("train-1", 7, pass, [new ShardSlice(2, 110)], FirstChunk: 2);
        yield return new ShardStatsComputed("train-1", 7, 2, PartitionCompute.Compute(pass, Shards[2], 110, 1).ToBytes(), 0.5, 0, 2, 4);
        yield return new ComputePass("train-1", 4, pass, [new ShardSlice(1, 37)], OnDistinctRecords: true);
        yield return new ComputePass("train-1", CoordinatorState.CountingPassNumber, new RecordCountsPass(CoordinatorState.CountingPassNumber), [new ShardSlice(2, 110)]);
        yield return new ShardStatsComputed("train-1", CoordinatorState.CountingPassNumber, 2, RecordCountsResult.Compute(Shards[2], 110).ToBytes());
        yield return new UseRecordCounts("train-1", DistinctRecords.Count(Shards).ToBytes(), [new ShardSlice(0, 0), new ShardSlice(2, 110)]);
        yield return new UseRecordCounts("train-1", RecordCountsResult.Empty.ToBytes(), []);
        yield return new ScoreShards("score-1", Model.ToBytes(), [1], Multiplicity);
        yield return new CollectAnomalies("score-1", -3.5, Model.ToBytes(), [0, 2], Multiplicity);
        yield return new AnomaliesCollected("score-1", 1, ["duration"], [], [new AnomalyRow(7, -99, "smurf.", [1], [], 96_599)]);
        yield return new RecordsCounted(DistinctRecords.Count(Shards).ToBytes());
        yield return new ScoreShards("score-1", Model.ToBytes(), [0, 1, 2]);
        var scores = new double[Shards[1].Rows];
        Model.ScoreSamples(Shards[1].Values, scores);
        scores[3] = double.NegativeInfinity;
        yield return new ShardScored("score-1", 1, new ScoreMoments(0, 0, 0).Add(scores.AsSpan(4)), [.. Enumerable.Range(40, 70).Select(i => (long)i)],
            scores, [.. Enumerable.Range(0, 70).Select(i => i % 3 == 0 ? null : i % 3 == 1 ? "normal" : "neptune.")]);
        yield return new ShardScored("score-1", 0, new ScoreMoments(0, 0, 0), [], [], null);
        yield return new CollectAnomalies("score-1", -12.345678901234567, Model.ToBytes(), [2]);
        yield return new AnomaliesCollected("score-1", 2, ["duration", "src_bytes"], ["protocol_type"],
        [
            new AnomalyRow(123, -40.5, "smurf.", [0, 1e300], ["icmp"]),
            new AnomalyRow(124, double.NaN, null, [], [null]),
        ]);
        yield return new AnomaliesCollected("score-1", 0, [], [], []);
        yield return new WorkFailed("score-1", "worker-1", "scores lost");
        yield return new ChaosKill("--chaos kill:worker-1@3");
        yield return new ShardLoadConfirmed(3, 1234567890123, 41);
        yield return new PassCompleted(17, PartitionCompute.Compute(pass, Shards[0], 0, 1).ToBytes());
        yield return new ThresholdChosen(-12.345678901234567);
        yield return new JobFailed("shard 3: bad magic ü");
    }

    private Serializer SerializerFor(object message) => Sys.Serialization.FindSerializerFor(message);

    private static string ManifestOf(Serializer serializer, object message) => ((SerializerWithStringManifest)serializer).Manifest(message);

    [Fact]
    public void Every_protocol_message_and_journaled_event_type_has_a_sample_here()
    {
        var wireTypes = typeof(IProtocolMessage).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && (typeof(IProtocolMessage).IsAssignableFrom(t) || typeof(IJournaledEvent).IsAssignableFrom(t)))
            .Select(t => t.Name).Order();
        Assert.Equal(wireTypes, Samples().Select(s => s.GetType().Name).Distinct().Order());
    }

    [Fact]
    public void Every_message_is_bound_to_the_ProtocolSerializer_and_round_trips_byte_exactly()
    {
        foreach (var message in Samples())
        {
            var serializer = SerializerFor(message);
            Assert.IsType<ProtocolSerializer>(serializer);
            Assert.Equal(4711, serializer.Identifier);
            var manifest = ManifestOf(serializer, message);
            var bytes = serializer.ToBinary(message);
            var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
            Assert.IsType(message.GetType(), back);
            Assert.Equal(bytes, serializer.ToBinary(back));
            Assert.Equal(manifest, ManifestOf(serializer, back));
        }
    }

    [Fact]
    public void A_pass_sent_to_every_worker_is_serialized_once()
    {
        var pass = new EStepPass(7, Model);
        var serializer = SerializerFor(new WorkerReady("w", 1));
        var first = serializer.ToBinary(new ComputePass("train-1", 7, pass, [new ShardSlice(0, 0)]));
        var cached = PassBytes.Of(pass);
        Assert.Same(cached, PassBytes.Of(pass));
        Assert.Equal(pass.ToBytes(), cached);
        var second = serializer.ToBinary(new ComputePass("train-1", 7, pass, [new ShardSlice(1, 40)]));
        Assert.Same(cached, PassBytes.Of(pass));
        Assert.Equal(first.Length, second.Length);
        // An equal pass that is another object is serialized on its own (the cache is by reference), to the same bytes.
        var twin = new EStepPass(7, Model);
        Assert.NotSame(cached, PassBytes.Of(twin));
        Assert.Equal(cached, PassBytes.Of(twin));
    }

    [Fact]
    public void Decoded_messages_carry_the_same_values()
    {
        var serializer = SerializerFor(new WorkerReady("w", 1));
        T RoundTrip<T>(T message) where T : notnull => (T)Sys.Serialization.Deserialize(serializer.ToBinary(message), 4711, ManifestOf(serializer, message));

        Assert.Equal(new WorkerReady("worker-3", 16), RoundTrip(new WorkerReady("worker-3", 16)));
        Assert.Equal(new ShardLoaded("t", "w", 3, 4_898_431_000L, 118), RoundTrip(new ShardLoaded("t", "w", 3, 4_898_431_000L, 118)));
        Assert.Equal(-12.345678901234567, RoundTrip(new ThresholdChosen(-12.345678901234567)).Threshold);
        var load = RoundTrip(new LoadShards("train-1", Dataset, [0, 5]));
        Assert.Equal((Dataset.DatasetDir, Dataset.PreprocessorJson), (load.Dataset.DatasetDir, load.Dataset.PreprocessorJson));
        Assert.Equal(Dataset.KeepLabels, load.Dataset.KeepLabels);
        Assert.Equal([0, 5], load.Shards);
        var compute = RoundTrip(new ComputePass("train-1", 7, new EStepPass(7, Model), [new ShardSlice(2, 110)]));
        Assert.Equal(Model.ToBytes(), Assert.IsType<EStepPass>(compute.Pass).Model.ToBytes());
        Assert.Equal([new ShardSlice(2, 110)], compute.Shards);
        var anomalies = RoundTrip(new AnomaliesCollected("s", 2, ["a"], ["t"], [new AnomalyRow(124, double.NaN, null, [1.5], [null])]));
        var row = Assert.Single(anomalies.Rows);
        Assert.Equal((124L, (string?)null), (row.RowId, row.Label));
        Assert.Equal([1.5], row.Numbers);
        Assert.Null(Assert.Single(row.Texts));
        Assert.True(double.IsNaN(row.Score));
        Assert.Equal(1, row.Multiplicity);

        var counts = DistinctRecords.Count(Shards);
        var use = RoundTrip(new UseRecordCounts("train-1", counts.ToBytes(), [new ShardSlice(2, 110)]));
        Assert.Equal(counts, Assert.IsType<RecordCountsResult>(PassResult.FromBytes(use.CountsBytes)), RecordCountsEquality.Instance);
        Assert.Equal([new ShardSlice(2, 110)], use.Shards);
        Assert.True(RoundTrip(new ComputePass("t", 4, new EStepPass(4, Model), [], OnDistinctRecords: true)).OnDistinctRecords);
        Assert.False(RoundTrip(new ComputePass("t", 4, new EStepPass(4, Model), [])).OnDistinctRecords);
        Assert.Equal(3, RoundTrip(new ComputePass("t", 4, new EStepPass(4, Model), [], FirstChunk: 3)).FirstChunk);
        var front = RoundTrip(new ShardStatsComputed("t", 4, 1, [1, 2], 0.25, 0, 3, 5));
        Assert.Equal((0, 3, 5, false), (front.FirstChunk, front.ChunkCount, front.ShardChunks, front.IsWhole));
        Assert.Equal(new SkipChunks("t", 4, 1, 3), RoundTrip(new SkipChunks("t", 4, 1, 3)));
        Assert.Equal(Multiplicity.BinCounts, RoundTrip(new ScoreShards("s", Model.ToBytes(), [1], Multiplicity)).Multiplicity!.BinCounts);
        Assert.Null(RoundTrip(new ScoreShards("s", Model.ToBytes(), [1])).Multiplicity);
        Assert.Equal(Multiplicity.BinCounts, RoundTrip(new CollectAnomalies("s", 1, Model.ToBytes(), [1], Multiplicity)).Multiplicity!.BinCounts);
        Assert.Equal(96_599, Assert.Single(RoundTrip(new AnomaliesCollected("s", 1, [], [], [new AnomalyRow(7, -1, null, [], [], 96_599)])).Rows).Multiplicity);
        Assert.Equal(counts.ToBytes(), RoundTrip(new RecordsCounted(counts.ToBytes())).MergedBytes);
    }

    /// <summary>Record counts compared by value (the record's arrays).</summary>
    private sealed class RecordCountsEquality : IEqualityComparer<RecordCountsResult>
    {
        public static readonly RecordCountsEquality Instance = new();
        public bool Equals(RecordCountsResult? x, RecordCountsResult? y) =>
            x is not null && y is not null && x.Hashes.SequenceEqual(y.Hashes) && x.Counts.SequenceEqual(y.Counts) && x.FirstRows.SequenceEqual(y.FirstRows);
        public int GetHashCode(RecordCountsResult obj) => obj.Distinct;
    }

    [Fact]
    public void A_journal_replayed_through_the_serializer_rebuilds_the_same_state()
    {
        var plan = Synthetic.TrainPlan(Synthetic.Shards(), 2);
        var (live, events) = CoordinatorStateTests.Drive(plan);
        var replayed = CoordinatorState.Initial(plan);
        foreach (var e in events)
        {
            var serializer = SerializerFor(e);
            replayed = replayed.Apply((CoordinatorEvent)Sys.Serialization.Deserialize(serializer.ToBinary(e), serializer.Identifier, ManifestOf(serializer, e)));
        }
        Assert.Equal(JobStage.Completed, replayed.Stage);
        Assert.Equal(live.BestFit!.Model.ToBytes(), replayed.BestFit!.Model.ToBytes());
        Assert.Equal(live.BestFit.LowerBoundHistory, replayed.BestFit.LowerBoundHistory);
    }

    [Fact]
    public void Every_truncated_payload_fails_with_the_byte_offset()
    {
        foreach (var message in Samples())
        {
            var serializer = SerializerFor(message);
            var manifest = ManifestOf(serializer, message);
            var bytes = serializer.ToBinary(message);
            // Every prefix for small payloads; for large ones (model bytes, scores) a spread of cut points.
            var cuts = bytes.Length <= 512 ? Enumerable.Range(0, bytes.Length) : Enumerable.Range(0, 257).Select(i => (int)((long)i * (bytes.Length - 1) / 256)).Distinct();
            foreach (var cut in cuts)
            {
                var ex = Assert.Throws<MessageSerializationException>(() => Sys.Serialization.Deserialize(bytes[..cut], 4711, manifest));
                Assert.Contains("byte offset", ex.Message, StringComparison.Ordinal);
                // A cut inside a list count fails in ProtocolSerializer.ReadCount, whose message lacks the manifest (see below).
                if (!ex.Message.StartsWith("payload at byte offset", StringComparison.Ordinal))
                    Assert.Contains($"'{manifest}'", ex.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_list_count_that_does_not_fit_the_payload_names_the_message()
    {
        var serializer = SerializerFor(new LoadShards("j", Dataset, [1]));
        var bytes = serializer.ToBinary(new LoadShards("j", Dataset, [1]));
        // Cut right after the keep-labels count: version, job id, dataset dir, preprocessor JSON, count.
        var cut = 1 + (4 + 1) + (4 + System.Text.Encoding.UTF8.GetByteCount(Dataset.DatasetDir))
            + (4 + System.Text.Encoding.UTF8.GetByteCount(Dataset.PreprocessorJson)) + 4;
        var ex = Assert.Throws<MessageSerializationException>(() => Sys.Serialization.Deserialize(bytes[..cut], 4711, "LoadShards"));
        Assert.Contains("count 2 does not fit the 0 remaining bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'LoadShards'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_a_bad_bool_an_impossible_count_and_another_format_version_fail_with_the_offset()
    {
        var serializer = SerializerFor(new ReleaseJob("j"));
        var release = serializer.ToBinary(new ReleaseJob("job-1"));
        var trailing = Assert.Throws<MessageSerializationException>(() => Sys.Serialization.Deserialize([.. release, 0], 4711, "ReleaseJob"));
        Assert.Equal($"payload of 'ReleaseJob' at byte offset {release.Length}: 1 unexpected trailing bytes", trailing.Message);

        var version = Assert.Throws<MessageSerializationException>(() => Sys.Serialization.Deserialize([3, .. release[1..]], 4711, "ReleaseJob"));
        Assert.Contains("'ReleaseJob': payload format version 3, this node reads version 7", version.Message, StringComparison.Ordinal);
        var future = Assert.Throws<MessageSerializationException>(() => Sys.Serialization.Deserialize([8, .. release[1..]], 4711, "ReleaseJob"));
        Assert.Contains("payload format version 8", future.Message, StringComparison.Ordinal);
        // Journaled events kept their layout: a version-1 journal still replays.
        var completed = new PassCompleted(3, [1, 2, 3]);
        var eventBytes = SerializerFor(completed).ToBinary(completed);
        Assert.Equal(completed.PassNumber, ((PassCompleted)Sys.Serialization.Deserialize([1, .. eventBytes[1..]], 4711, "ev.PassCompleted")).PassNumber);

        var scored = serializer.ToBinary(new ShardScored("s", 0, new ScoreMoments(0, 0, 0), [], [], null));
        var badBool = scored.ToArray();
        badBool[^1] = 7;                                 // the labels-present flag
        var ex = Assert.Throws<MessageSerializationException>(() => Sys.Serialization.Deserialize(badBool, 4711, "ShardScored"));
        Assert.Equal($"payload of 'ShardScored' at byte offset {scored.Length - 1}: bool byte is 7", ex.Message);

        var load = serializer.ToBinary(new LoadShards("j", Synthetic.Dataset, [1]));
        var hugeCount = load.ToArray();
        BitConverter.TryWriteBytes(hugeCount.AsSpan(load.Length - 8), int.MaxValue); // the shard list's count
        var count = Assert.Throws<MessageSerializationException>(() => Sys.Serialization.Deserialize(hugeCount, 4711, "LoadShards"));
        Assert.Contains("'LoadShards'", count.Message, StringComparison.Ordinal);
        Assert.Contains($"length {int.MaxValue} does not fit the 4 remaining bytes", count.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_manifest_fails_naming_it()
    {
        var ex = Assert.Throws<MessageSerializationException>(() => Sys.Serialization.Deserialize([7, 0, 0, 0, 0], 4711, "ShardExploded"));
        Assert.Contains("unknown manifest 'ShardExploded'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_type_that_is_not_on_the_wire_is_refused_by_name()
    {
        var serializer = (SerializerWithStringManifest)SerializerFor(new WorkerReady("w", 1));
        var ex = Assert.Throws<ArgumentException>(() => serializer.Manifest(new WorkerJoined("w")));
        Assert.Contains("DistGmm.Cluster.WorkerJoined has no DistGmm wire format", ex.Message, StringComparison.Ordinal);
        Assert.NotEqual(4711, SerializerFor(new WorkerJoined("w")).Identifier);  // not bound: only the marker interfaces are
    }
}
