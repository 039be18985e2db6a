namespace DistGmm.Remoting;

/// <summary>
/// Moves envelopes between named nodes. Each node has its own inbox (a RabbitMQ queue, or an in-process channel);
/// <see cref="SendAsync"/> signs and encodes with the node's <see cref="EnvelopeCodec"/>, the receiving side
/// verifies and decodes, dropping (and counting, and logging) what does not verify. Delivery is at most once per
/// envelope id: a redelivered duplicate (after a broker reconnect) is dropped too.
/// </summary>
public interface ITransport : IAsyncDisposable
{
    string NodeName { get; }

    TransportCounters Counters { get; }

    /// <summary>
    /// Sends to <paramref name="nodeName"/>'s inbox; completes when the inbox has it (RabbitMQ: publisher confirm).
    /// Throws <see cref="NodeUnreachableException"/> when no such node inbox exists and
    /// <see cref="MessageTooLargeException"/> when the envelope is over the size limit.
    /// </summary>
    Task SendAsync(string nodeName, Envelope envelope, CancellationToken ct = default);

    /// <summary>The verified envelopes addressed to this node, in arrival order (one reader at a time).</summary>
    IAsyncEnumerable<Envelope> ReceiveAllAsync(CancellationToken ct = default);
}
