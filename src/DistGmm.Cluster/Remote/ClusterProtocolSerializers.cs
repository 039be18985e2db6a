using DistGmm.Numerics;
using DistGmm.Remoting;
using DistGmm.Remoting.Serialization;

namespace DistGmm.Cluster.Remote;

/// <summary>
/// Wire encodings of the coordinator ↔ worker protocol (<see cref="Protocol"/> messages) and of the node handshake.
/// Everything is binary through <see cref="PayloadWriter"/>: numeric payloads (passes, statistics, models, scores)
/// travel as the little-endian bytes of DataPass/PassResult/GaussianMixture or raw float64 arrays, so a remote job
/// sees exactly the bits an in-process one does. The type names are the wire identity: never rename one.
/// </summary>
public static class ClusterProtocolSerializers
{
    /// <summary>Registers every protocol message on a node's registry (both coordinator and worker nodes call this).</summary>
    public static MessageSerializerRegistry RegisterClusterProtocol(this MessageSerializerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .RegisterBinary<WorkerReady>("distgmm.cluster.WorkerReady",
                (m, w) => w.WriteString(m.WorkerId).WriteInt32(m.Cores),
                (ref PayloadReader r) => new WorkerReady(r.ReadString(), r.ReadInt32()))
            .RegisterBinary<LoadShards>("distgmm.cluster.LoadShards",
                (m, w) =>
                {
                    w.WriteString(m.JobId).WriteString(m.Dataset.DatasetDir).WriteString(m.Dataset.PreprocessorJson);
                    WriteStrings(w, m.Dataset.KeepLabels);
                    w.WriteInt32s([.. m.Shards]);
                },
                (ref PayloadReader r) => new LoadShards(r.ReadString(), new DatasetRef(r.ReadString(), r.ReadString(), ReadStrings(ref r)), r.ReadInt32s()))
            .RegisterBinary<ShardLoaded>("distgmm.cluster.ShardLoaded",
                (m, w) => w.WriteString(m.JobId).WriteString(m.WorkerId).WriteInt32(m.Shard).WriteInt64(m.Rows).WriteInt32(m.Cols),
                (ref PayloadReader r) => new ShardLoaded(r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt64(), r.ReadInt32()))
            .RegisterBinary<ShardLoadFailed>("distgmm.cluster.ShardLoadFailed",
                (m, w) => w.WriteString(m.JobId).WriteString(m.WorkerId).WriteInt32(m.Shard).WriteString(m.Error),
                (ref PayloadReader r) => new ShardLoadFailed(r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadString()))
            .RegisterBinary<ReleaseJob>("distgmm.cluster.ReleaseJob",
                (m, w) => w.WriteString(m.JobId),
                (ref PayloadReader r) => new ReleaseJob(r.ReadString()))
            .RegisterBinary<ComputePass>("distgmm.cluster.ComputePass",
                (m, w) =>
                {
                    w.WriteString(m.JobId).WriteInt32(m.PassNumber).WriteBytes(m.Pass.ToBytes()).WriteInt32(m.Shards.Count);
                    foreach (var slice in m.Shards) w.WriteInt32(slice.Shard).WriteInt64(slice.GlobalRowOffset);
                },
                (ref PayloadReader r) =>
                {
                    var jobId = r.ReadString();
                    var passNumber = r.ReadInt32();
                    var pass = DataPass.FromBytes(r.ReadBytes());
                    var slices = new ShardSlice[ReadCount(ref r, 12)];
                    for (var i = 0; i < slices.Length; i++) slices[i] = new ShardSlice(r.ReadInt32(), r.ReadInt64());
                    return new ComputePass(jobId, passNumber, pass, slices);
                })
            .RegisterBinary<ShardStatsComputed>("distgmm.cluster.ShardStatsComputed",
                (m, w) => w.WriteString(m.JobId).WriteInt32(m.PassNumber).WriteInt32(m.Shard).WriteBytes(m.ResultBytes),
                (ref PayloadReader r) => new ShardStatsComputed(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadBytes()))
            .RegisterBinary<ScoreShards>("distgmm.cluster.ScoreShards",
                (m, w) => w.WriteString(m.JobId).WriteBytes(m.ModelBytes).WriteInt32s([.. m.Shards]),
                (ref PayloadReader r) => new ScoreShards(r.ReadString(), r.ReadBytes(), r.ReadInt32s()))
            .RegisterBinary<ShardScored>("distgmm.cluster.ShardScored",
                (m, w) =>
                {
                    w.WriteString(m.JobId).WriteInt32(m.Shard)
                        .WriteInt64(m.Moments.Count).WriteDouble(m.Moments.Mean).WriteDouble(m.Moments.M2);
                    WriteInt64s(w, m.RowIds);
                    w.WriteDoubles(m.Scores);
                    w.WriteBool(m.Labels is not null);
                    if (m.Labels is not null) WriteStrings(w, m.Labels);
                },
                (ref PayloadReader r) => new ShardScored(r.ReadString(), r.ReadInt32(), new ScoreMoments(r.ReadInt64(), r.ReadDouble(), r.ReadDouble()),
                    ReadInt64s(ref r), r.ReadDoubles(), r.ReadBool() ? ReadStrings(ref r) : null))
            .RegisterBinary<CollectAnomalies>("distgmm.cluster.CollectAnomalies",
                (m, w) => w.WriteString(m.JobId).WriteDouble(m.Threshold).WriteBytes(m.ModelBytes).WriteInt32s([.. m.Shards]),
                (ref PayloadReader r) => new CollectAnomalies(r.ReadString(), r.ReadDouble(), r.ReadBytes(), r.ReadInt32s()))
            .RegisterBinary<AnomaliesCollected>("distgmm.cluster.AnomaliesCollected",
                (m, w) =>
                {
                    w.WriteString(m.JobId).WriteInt32(m.Shard);
                    WriteStrings(w, m.NumericColumns);
                    WriteStrings(w, m.TextColumns);
                    w.WriteInt32(m.Rows.Count);
                    foreach (var row in m.Rows)
                    {
                        w.WriteInt64(row.RowId).WriteDouble(row.Score);
                        WriteNullableString(w, row.Label);
                        w.WriteDoubles(row.Numbers);
                        WriteStrings(w, row.Texts);
                    }
                },
                (ref PayloadReader r) =>
                {
                    var jobId = r.ReadString();
                    var shard = r.ReadInt32();
                    var numericColumns = ReadStrings(ref r);
                    var textColumns = ReadStrings(ref r);
                    var rows = new AnomalyRow[ReadCount(ref r, 21)];
                    for (var i = 0; i < rows.Length; i++)
                        rows[i] = new AnomalyRow(r.ReadInt64(), r.ReadDouble(), ReadNullableString(ref r), r.ReadDoubles(), ReadStrings(ref r));
                    return new AnomaliesCollected(jobId, shard, numericColumns, textColumns, rows);
                })
            .RegisterBinary<WorkFailed>("distgmm.cluster.WorkFailed",
                (m, w) => w.WriteString(m.JobId).WriteString(m.WorkerId).WriteString(m.Error),
                (ref PayloadReader r) => new WorkFailed(r.ReadString(), r.ReadString(), r.ReadString()))
            .RegisterBinary<JoinCluster>("distgmm.cluster.JoinCluster",
                (m, w) => w.WriteString(m.NodeName),
                (ref PayloadReader r) => new JoinCluster(r.ReadString()))
            .RegisterBinary<JoinAccepted>("distgmm.cluster.JoinAccepted",
                (m, w) => w.WriteString(m.CoordinatorNode),
                (ref PayloadReader r) => new JoinAccepted(r.ReadString()))
            .RegisterBinary<Heartbeat>("distgmm.cluster.Heartbeat",
                (m, w) => w.WriteString(m.NodeName),
                (ref PayloadReader r) => new Heartbeat(r.ReadString()))
            .RegisterBinary<HeartbeatAck>("distgmm.cluster.HeartbeatAck",
                (m, w) => w.WriteString(m.CoordinatorNode).WriteBool(m.Known),
                (ref PayloadReader r) => new HeartbeatAck(r.ReadString(), r.ReadBool()))
            .RegisterBinary<ChaosKill>("distgmm.cluster.ChaosKill",
                (m, w) => w.WriteString(m.Reason),
                (ref PayloadReader r) => new ChaosKill(r.ReadString()));
    }

    // Nullable strings: a presence byte, then the string. Lists of them: a count first.
    private static void WriteNullableString(PayloadWriter w, string? value)
    {
        w.WriteBool(value is not null);
        if (value is not null) w.WriteString(value);
    }

    private static string? ReadNullableString(ref PayloadReader r) => r.ReadBool() ? r.ReadString() : null;

    private static void WriteStrings(PayloadWriter w, IReadOnlyList<string?> values)
    {
        w.WriteInt32(values.Count);
        foreach (var value in values) WriteNullableString(w, value);
    }

    private static string[] ReadStrings(ref PayloadReader r)
    {
        var values = new string[ReadCount(ref r, 1)];
        for (var i = 0; i < values.Length; i++) values[i] = ReadNullableString(ref r)!;
        return values;
    }

    private static void WriteInt64s(PayloadWriter w, long[] values)
    {
        w.WriteInt32(values.Length);
        foreach (var value in values) w.WriteInt64(value);
    }

    private static long[] ReadInt64s(ref PayloadReader r)
    {
        var values = new long[ReadCount(ref r, sizeof(long))];
        for (var i = 0; i < values.Length; i++) values[i] = r.ReadInt64();
        return values;
    }

    /// <summary>A count that cannot exceed what the remaining bytes could hold (a corrupt count fails, not allocates).</summary>
    private static int ReadCount(ref PayloadReader r, int minElementBytes)
    {
        var at = r.Offset;
        var count = r.ReadInt32();
        if (count < 0 || (long)count * minElementBytes > r.Remaining)
            throw new MessageSerializationException($"payload at byte offset {at}: count {count} does not fit the {r.Remaining} remaining bytes");
        return count;
    }
}

/// <summary>A worker node asks the coordinator node's registrar to be admitted (answered by <see cref="JoinAccepted"/>).</summary>
public sealed record JoinCluster(string NodeName);

/// <summary>The coordinator node heard the worker node: it may now start its worker actor.</summary>
public sealed record JoinAccepted(string CoordinatorNode);
