namespace DistGmm.Remoting;

/// <summary>What a transport did, for summaries ("bytes sent per iteration") and security checks (rejections).</summary>
public sealed class TransportCounters
{
    private long _messagesSent, _bytesSent, _messagesReceived, _bytesReceived;
    private long _rejectedAuthentication, _rejectedMalformed, _duplicatesDropped, _connectionLosses, _recoveries;

    public long MessagesSent => Interlocked.Read(ref _messagesSent);
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Envelopes dropped because their HMAC was missing or did not verify.</summary>
    public long RejectedAuthentication => Interlocked.Read(ref _rejectedAuthentication);

    /// <summary>Envelopes dropped because they were malformed, of another version, or too large.</summary>
    public long RejectedMalformed => Interlocked.Read(ref _rejectedMalformed);

    public long DuplicatesDropped => Interlocked.Read(ref _duplicatesDropped);
    public long ConnectionLosses => Interlocked.Read(ref _connectionLosses);
    public long Recoveries => Interlocked.Read(ref _recoveries);

    internal void Sent(int bytes) { Interlocked.Increment(ref _messagesSent); Interlocked.Add(ref _bytesSent, bytes); }
    internal void Received(int bytes) { Interlocked.Increment(ref _messagesReceived); Interlocked.Add(ref _bytesReceived, bytes); }
    internal void AuthenticationRejected() => Interlocked.Increment(ref _rejectedAuthentication);
    internal void MalformedRejected() => Interlocked.Increment(ref _rejectedMalformed);
    internal void DuplicateDropped() => Interlocked.Increment(ref _duplicatesDropped);
    internal void ConnectionLost() => Interlocked.Increment(ref _connectionLosses);
    internal void Recovered() => Interlocked.Increment(ref _recoveries);

    public override string ToString() =>
        $"sent {MessagesSent} ({BytesSent} B), received {MessagesReceived} ({BytesReceived} B), rejected auth {RejectedAuthentication}, " +
        $"malformed {RejectedMalformed}, duplicates {DuplicatesDropped}, connection losses {ConnectionLosses}, recoveries {Recoveries}";
}
