using System.Buffers.Binary;
using System.Text;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>
/// Everything that changes the coordinator's state. <see cref="CoordinatorState.Apply"/> is the only way state changes,
/// live and on journal replay. Events marked <see cref="IJournaledEvent"/> are persisted (small, binary, enough to
/// rebuild the model); the others are bulky per-shard data or live membership, recomputed after a restart.
/// </summary>
public abstract record CoordinatorEvent;

/// <summary>Marker: the event is appended to the journal and replayed on recovery.</summary>
public interface IJournaledEvent;

public sealed record WorkerJoined(string WorkerId) : CoordinatorEvent;

public sealed record WorkerLost(string WorkerId, string Reason) : CoordinatorEvent;

/// <summary>The owner worker id of each shard, by shard index.</summary>
public sealed record ShardsPlaced(IReadOnlyList<string> Owners) : CoordinatorEvent;

/// <summary>A shard was loaded; <paramref name="Rows"/> counts the rows kept (after any label filter).</summary>
public sealed record ShardLoadConfirmed(int Shard, long Rows, int Cols) : CoordinatorEvent, IJournaledEvent;

public sealed record ShardResultAccepted(int PassNumber, int Shard, PassResult Result) : CoordinatorEvent;

/// <summary>All shards of a pass are in; <paramref name="MergedBytes"/> is their shard-order merge (PassResult.ToBytes()).</summary>
public sealed record PassCompleted(int PassNumber, byte[] MergedBytes) : CoordinatorEvent, IJournaledEvent;

public sealed record ShardScoresAccepted(ShardScored Scored) : CoordinatorEvent;

public sealed record ThresholdChosen(double Threshold) : CoordinatorEvent, IJournaledEvent;

public sealed record ShardAnomaliesAccepted(AnomaliesCollected Collected) : CoordinatorEvent;

public sealed record JobFailed(string Error) : CoordinatorEvent, IJournaledEvent;

/// <summary>Binary little-endian codec of the journaled events: (event type, payload), the journal's row shape.</summary>
public static class CoordinatorEventCodec
{
    public static (string EventType, byte[] Payload) Encode(CoordinatorEvent e)
    {
        switch (e)
        {
            case ShardLoadConfirmed s:
            {
                var b = new byte[20];
                BinaryPrimitives.WriteInt32LittleEndian(b, s.Shard);
                BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(4), s.Rows);
                BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), s.Cols);
                return (nameof(ShardLoadConfirmed), b);
            }
            case PassCompleted p:
            {
                var b = new byte[4 + p.MergedBytes.Length];
                BinaryPrimitives.WriteInt32LittleEndian(b, p.PassNumber);
                p.MergedBytes.CopyTo(b, 4);
                return (nameof(PassCompleted), b);
            }
            case ThresholdChosen t:
            {
                var b = new byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(b, t.Threshold);
                return (nameof(ThresholdChosen), b);
            }
            case JobFailed f:
                return (nameof(JobFailed), Encoding.UTF8.GetBytes(f.Error));
            default:
                throw new ArgumentException($"{e.GetType().Name} is not a journaled event.", nameof(e));
        }
    }

    public static CoordinatorEvent Decode(string eventType, ReadOnlySpan<byte> payload) => eventType switch
    {
        nameof(ShardLoadConfirmed) when payload.Length == 20 => new ShardLoadConfirmed(
            BinaryPrimitives.ReadInt32LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload[4..]),
            BinaryPrimitives.ReadInt32LittleEndian(payload[12..])),
        nameof(PassCompleted) when payload.Length >= 4 => new PassCompleted(BinaryPrimitives.ReadInt32LittleEndian(payload), payload[4..].ToArray()),
        nameof(ThresholdChosen) when payload.Length == 8 => new ThresholdChosen(BinaryPrimitives.ReadDoubleLittleEndian(payload)),
        nameof(JobFailed) => new JobFailed(Encoding.UTF8.GetString(payload)),
        _ => throw new FormatException($"Unknown or malformed journal event '{eventType}' ({payload.Length} bytes)."),
    };
}

/// <summary>
/// Where the coordinator persists its journaled events (one stream per job). The SQL journal of DistGmm.Persistence
/// plugs in here in the next step; <see cref="InMemoryCoordinatorJournal"/> serves embedded runs and tests.
/// </summary>
public interface ICoordinatorJournal
{
    void Append(string jobId, CoordinatorEvent journaledEvent);
    IReadOnlyList<CoordinatorEvent> Read(string jobId);
}

/// <summary>Keeps encoded events in memory (encoding even here, so codec bugs show up in every test).</summary>
public sealed class InMemoryCoordinatorJournal : ICoordinatorJournal
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<(string Type, byte[] Payload)>> _streams = [];

    public void Append(string jobId, CoordinatorEvent journaledEvent)
    {
        var encoded = CoordinatorEventCodec.Encode(journaledEvent);
        lock (_gate)
        {
            if (!_streams.TryGetValue(jobId, out var stream)) _streams[jobId] = stream = [];
            stream.Add(encoded);
        }
    }

    public IReadOnlyList<CoordinatorEvent> Read(string jobId)
    {
        lock (_gate)
            return _streams.TryGetValue(jobId, out var stream)
                ? [.. stream.Select(e => CoordinatorEventCodec.Decode(e.Type, e.Payload))]
                : [];
    }
}
