using System.Collections.Concurrent;

namespace DistGmm.Cluster.Security;

/// <summary>One refused TLS peer: who, with which certificate, why.</summary>
public sealed record TlsRejection(DateTimeOffset At, string Peer, string Certificate, string Reason);

/// <summary>
/// Counts the TLS peers the cluster-CA check refused (thread-safe: handshakes run on DotNetty's I/O threads).
/// <see cref="Shared"/> is the process-wide counter a node reports (summary.json); tests pass their own
/// instance so parallel tests never see each other's refusals.
/// </summary>
public sealed class TlsRejections
{
    private const int Kept = 32;
    private readonly ConcurrentQueue<TlsRejection> _recent = new();
    private long _count;

    public static TlsRejections Shared { get; } = new();

    /// <summary>Refusals since the process started (or since this instance was made).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>The last 32 refusals, oldest first.</summary>
    public IReadOnlyList<TlsRejection> Recent => [.. _recent];

    public void Record(TlsRejection rejection)
    {
        Interlocked.Increment(ref _count);
        _recent.Enqueue(rejection);
        while (_recent.Count > Kept && _recent.TryDequeue(out _)) { }
    }
}
