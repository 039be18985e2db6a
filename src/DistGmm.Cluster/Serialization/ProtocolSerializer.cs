using Akka.Actor;
using Akka.Serialization;
using DistGmm.Numerics;

namespace DistGmm.Cluster.Serialization;

/// <summary>A payload cannot be decoded (truncated, corrupt, or a manifest this node does not know).</summary>
public sealed class MessageSerializationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Akka serializer of the coordinator ↔ worker protocol and of the coordinator's journaled events (bound to
/// <see cref="IProtocolMessage"/> and <see cref="IJournaledEvent"/> in distgmm.conf). Binary and versioned: every
/// payload starts with a format version byte; numbers are little-endian, numeric payloads (passes, statistics,
/// models, scores) are the exact bytes of DataPass/PassResult/GaussianMixture or raw float64 arrays, so a remote or
/// replayed job sees the bits an in-process one does. The manifests are the wire identity: never rename one.
/// </summary>
public sealed class ProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Akka reserves 0–100; ours is fixed so every node and journal agrees.</summary>
    public const int SerializerId = 4711;

    /// <summary>Format version of every payload; a reader refuses versions it does not know instead of misreading them.</summary>
    /// <remarks>
    /// 2: ComputePass, ScoreShards, CollectAnomalies and AnomaliesCollected carry the records scoring.
    /// 3: ShardStatsComputed carries the worker's seconds.
    /// 4: the models and statistics inside carry symmetric matrices as upper triangles (their own version 2), which a
    ///    node of version 3 could not read: it is refused here, naming the mismatch, not deep inside a payload.
    /// 5: HoldReplicas, ReplicasHeld and SkipShards (work stealing); a node of version 4 would not know them.
    /// 6: SkipChunks; ComputePass carries its first chunk, ShardStatsComputed its chunk range (shards shared by chunks).
    /// 7: the models inside carry their precision Cholesky factors (their own version 3), which a node of version 6
    ///    could not read: refused here, as for version 4.
    /// </remarks>
    private const byte FormatVersion = 7;

    /// <summary>Journaled events kept their layout since version 1: a journal written by version 1 still replays.</summary>
    private const byte OldestEventVersion = 1;

    private static long _bytesWritten, _messagesWritten, _bytesRead, _messagesRead;

    public override int Identifier => SerializerId;

    /// <summary>Protocol payload this process serialized (sent to other nodes, or journaled) and deserialized, since start.</summary>
    public static (long Messages, long Bytes, long MessagesRead, long BytesRead) Counters =>
        (Interlocked.Read(ref _messagesWritten), Interlocked.Read(ref _bytesWritten), Interlocked.Read(ref _messagesRead), Interlocked.Read(ref _bytesRead));

    public override string Manifest(object o) => o switch
    {
        WorkerReady => "WorkerReady",
        IdentifyWorker => "IdentifyWorker",
        LoadShards => "LoadShards",
        ShardLoaded => "ShardLoaded",
        ShardLoadFailed => "ShardLoadFailed",
        ReleaseJob => "ReleaseJob",
        HoldReplicas => "HoldReplicas",
        ReplicasHeld => "ReplicasHeld",
        SkipShards => "SkipShards",
        SkipChunks => "SkipChunks",
        ComputePass => "ComputePass",
        UseRecordCounts => "UseRecordCounts",
        ShardStatsComputed => "ShardStatsComputed",
        ScoreShards => "ScoreShards",
        ShardScored => "ShardScored",
        CollectAnomalies => "CollectAnomalies",
        AnomaliesCollected => "AnomaliesCollected",
        WorkFailed => "WorkFailed",
        ChaosKill => "ChaosKill",
        ShardLoadConfirmed => "ev.ShardLoadConfirmed",
        PassCompleted => "ev.PassCompleted",
        RecordsCounted => "ev.RecordsCounted",
        ThresholdChosen => "ev.ThresholdChosen",
        JobFailed => "ev.JobFailed",
        _ => throw new ArgumentException($"{o.GetType().FullName} has no DistGmm wire format (bind only protocol messages and journaled events).", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        var w = new PayloadWriter(obj switch
        {
            ShardStatsComputed s => s.ResultBytes.Length + 64,
            ComputePass c => PassBytes.Of(c.Pass).Length + 64 + 12 * c.Shards.Count,
            UseRecordCounts u => u.CountsBytes.Length + 64 + 12 * u.Shards.Count,
            RecordsCounted c => c.MergedBytes.Length + 16,
            _ => 256,
        });
        w.WriteByte(FormatVersion);
        Write(w, obj);
        Interlocked.Increment(ref _messagesWritten);
        Interlocked.Add(ref _bytesWritten, w.Length);
        return w.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new PayloadReader(bytes, manifest);
        var version = r.ReadByte();
        var readable = manifest.StartsWith("ev.", StringComparison.Ordinal) ? version is >= OldestEventVersion and <= FormatVersion : version == FormatVersion;
        if (!readable)
            throw new MessageSerializationException($"'{manifest}': payload format version {version}, this node reads version {FormatVersion} (nodes of different DistGmm versions?)");
        object message;
        try
        {
            message = Read(ref r, manifest);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidDataException)
        {
            throw new MessageSerializationException($"'{manifest}': {ex.Message}", ex);
        }
        r.EnsureEnd();
        Interlocked.Increment(ref _messagesRead);
        Interlocked.Add(ref _bytesRead, bytes.Length);
        return message;
    }

    private static void Write(PayloadWriter w, object obj)
    {
        switch (obj)
        {
            case WorkerReady m: w.WriteString(m.WorkerId).WriteInt32(m.Cores); break;
            case IdentifyWorker m: w.WriteString(m.CoordinatorNode); break;
            case LoadShards m:
                w.WriteString(m.JobId).WriteString(m.Dataset.DatasetDir).WriteString(m.Dataset.PreprocessorJson);
                WriteStrings(w, m.Dataset.KeepLabels);
                w.WriteInt32s([.. m.Shards]);
                break;
            case ShardLoaded m: w.WriteString(m.JobId).WriteString(m.WorkerId).WriteInt32(m.Shard).WriteInt64(m.Rows).WriteInt32(m.Cols); break;
            case ShardLoadFailed m: w.WriteString(m.JobId).WriteString(m.WorkerId).WriteInt32(m.Shard).WriteString(m.Error); break;
            case ReleaseJob m: w.WriteString(m.JobId); break;
            case HoldReplicas m:
                w.WriteString(m.JobId).WriteString(m.Dataset.DatasetDir).WriteString(m.Dataset.PreprocessorJson);
                WriteStrings(w, m.Dataset.KeepLabels);
                w.WriteInt32s([.. m.Shards]);
                break;
            case ReplicasHeld m: w.WriteString(m.JobId).WriteString(m.WorkerId).WriteInt32s([.. m.Shards]); break;
            case SkipShards m: w.WriteString(m.JobId).WriteInt32(m.PassNumber).WriteInt32s([.. m.Shards]); break;
            case SkipChunks m: w.WriteString(m.JobId).WriteInt32(m.PassNumber).WriteInt32(m.Shard).WriteInt32(m.FirstChunk); break;
            case ComputePass m:
                w.WriteString(m.JobId).WriteInt32(m.PassNumber).WriteBytes(PassBytes.Of(m.Pass));
                WriteSlices(w, m.Shards);
                w.WriteBool(m.OnDistinctRecords).WriteInt32(m.FirstChunk);
                break;
            case UseRecordCounts m:
                w.WriteString(m.JobId).WriteBytes(m.CountsBytes);
                WriteSlices(w, m.Shards);
                break;
            case ShardStatsComputed m:
                w.WriteString(m.JobId).WriteInt32(m.PassNumber).WriteInt32(m.Shard).WriteBytes(m.ResultBytes).WriteDouble(m.WorkerSeconds)
                    .WriteInt32(m.FirstChunk).WriteInt32(m.ChunkCount).WriteInt32(m.ShardChunks);
                break;
            case ScoreShards m:
                w.WriteString(m.JobId).WriteBytes(m.ModelBytes).WriteInt32s([.. m.Shards]);
                WriteMultiplicity(w, m.Multiplicity);
                break;
            case ShardScored m:
                w.WriteString(m.JobId).WriteInt32(m.Shard).WriteInt64(m.Moments.Count).WriteDouble(m.Moments.Mean).WriteDouble(m.Moments.M2);
                WriteInt64s(w, m.RowIds);
                w.WriteDoubles(m.Scores);
                w.WriteBool(m.Labels is not null);
                if (m.Labels is not null) WriteStrings(w, m.Labels);
                break;
            case CollectAnomalies m:
                w.WriteString(m.JobId).WriteDouble(m.Threshold).WriteBytes(m.ModelBytes).WriteInt32s([.. m.Shards]);
                WriteMultiplicity(w, m.Multiplicity);
                break;
            case AnomaliesCollected m:
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
                    w.WriteInt64(row.Multiplicity);
                }
                break;
            case WorkFailed m: w.WriteString(m.JobId).WriteString(m.WorkerId).WriteString(m.Error); break;
            case ChaosKill m: w.WriteString(m.Reason); break;
            case ShardLoadConfirmed e: w.WriteInt32(e.Shard).WriteInt64(e.Rows).WriteInt32(e.Cols); break;
            case PassCompleted e: w.WriteInt32(e.PassNumber).WriteBytes(e.MergedBytes); break;
            case RecordsCounted e: w.WriteBytes(e.MergedBytes); break;
            case ThresholdChosen e: w.WriteDouble(e.Threshold); break;
            case JobFailed e: w.WriteString(e.Error); break;
            default: throw new ArgumentException($"{obj.GetType().FullName} has no DistGmm wire format.", nameof(obj));
        }
    }

    private static object Read(ref PayloadReader r, string manifest)
    {
        switch (manifest)
        {
            case "WorkerReady": return new WorkerReady(r.ReadString(), r.ReadInt32());
            case "IdentifyWorker": return new IdentifyWorker(r.ReadString());
            case "LoadShards": return new LoadShards(r.ReadString(), new DatasetRef(r.ReadString(), r.ReadString(), ReadStrings(ref r)), r.ReadInt32s());
            case "ShardLoaded": return new ShardLoaded(r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadInt64(), r.ReadInt32());
            case "ShardLoadFailed": return new ShardLoadFailed(r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadString());
            case "ReleaseJob": return new ReleaseJob(r.ReadString());
            case "HoldReplicas": return new HoldReplicas(r.ReadString(), new DatasetRef(r.ReadString(), r.ReadString(), ReadStrings(ref r)), r.ReadInt32s());
            case "ReplicasHeld": return new ReplicasHeld(r.ReadString(), r.ReadString(), r.ReadInt32s());
            case "SkipShards": return new SkipShards(r.ReadString(), r.ReadInt32(), r.ReadInt32s());
            case "SkipChunks": return new SkipChunks(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
            case "ComputePass":
            {
                var jobId = r.ReadString();
                var passNumber = r.ReadInt32();
                var pass = DataPass.FromBytes(r.ReadBytes());
                var slices = ReadSlices(ref r);
                return new ComputePass(jobId, passNumber, pass, slices, r.ReadBool(), r.ReadInt32());
            }
            case "UseRecordCounts":
            {
                var jobId = r.ReadString();
                var counts = r.ReadBytes();
                return new UseRecordCounts(jobId, counts, ReadSlices(ref r));
            }
            case "ShardStatsComputed":
                return new ShardStatsComputed(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadBytes(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
            case "ScoreShards": return new ScoreShards(r.ReadString(), r.ReadBytes(), r.ReadInt32s(), ReadMultiplicity(ref r));
            case "ShardScored":
                return new ShardScored(r.ReadString(), r.ReadInt32(), new ScoreMoments(r.ReadInt64(), r.ReadDouble(), r.ReadDouble()),
                    ReadInt64s(ref r), r.ReadDoubles(), r.ReadBool() ? ReadStrings(ref r) : null);
            case "CollectAnomalies": return new CollectAnomalies(r.ReadString(), r.ReadDouble(), r.ReadBytes(), r.ReadInt32s(), ReadMultiplicity(ref r));
            case "AnomaliesCollected":
            {
                var jobId = r.ReadString();
                var shard = r.ReadInt32();
                var numericColumns = ReadStrings(ref r);
                var textColumns = ReadStrings(ref r);
                var rows = new AnomalyRow[ReadCount(ref r, 29)];
                for (var i = 0; i < rows.Length; i++)
                    rows[i] = new AnomalyRow(r.ReadInt64(), r.ReadDouble(), ReadNullableString(ref r), r.ReadDoubles(), ReadStrings(ref r), r.ReadInt64());
                return new AnomaliesCollected(jobId, shard, numericColumns, textColumns, rows);
            }
            case "WorkFailed": return new WorkFailed(r.ReadString(), r.ReadString(), r.ReadString());
            case "ChaosKill": return new ChaosKill(r.ReadString());
            case "ev.ShardLoadConfirmed": return new ShardLoadConfirmed(r.ReadInt32(), r.ReadInt64(), r.ReadInt32());
            case "ev.PassCompleted": return new PassCompleted(r.ReadInt32(), r.ReadBytes());
            case "ev.RecordsCounted": return new RecordsCounted(r.ReadBytes());
            case "ev.ThresholdChosen": return new ThresholdChosen(r.ReadDouble());
            case "ev.JobFailed": return new JobFailed(r.ReadString());
            default: throw new MessageSerializationException($"unknown manifest '{manifest}' (a node of another DistGmm version?)");
        }
    }

    // Shard slices: a count, then (shard, offset) pairs.
    private static void WriteSlices(PayloadWriter w, IReadOnlyList<ShardSlice> slices)
    {
        w.WriteInt32(slices.Count);
        foreach (var slice in slices) w.WriteInt32(slice.Shard).WriteInt64(slice.GlobalRowOffset);
    }

    private static ShardSlice[] ReadSlices(ref PayloadReader r)
    {
        var slices = new ShardSlice[ReadCount(ref r, 12)];
        for (var i = 0; i < slices.Length; i++) slices[i] = new ShardSlice(r.ReadInt32(), r.ReadInt64());
        return slices;
    }

    // The multiplicity distribution of the records scoring: a presence byte, then its bin counts.
    private static void WriteMultiplicity(PayloadWriter w, MultiplicityModel? model)
    {
        w.WriteBool(model is not null);
        if (model is not null) WriteInt64s(w, model.BinCounts);
    }

    private static MultiplicityModel? ReadMultiplicity(ref PayloadReader r)
    {
        if (!r.ReadBool()) return null;
        var model = new MultiplicityModel(ReadInt64s(ref r));
        model.Validate();
        return model;
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
            throw new MessageSerializationException($"payload of '{r.MessageType}' at byte offset {at}: count {count} does not fit the {r.Remaining} remaining bytes");
        return count;
    }
}
