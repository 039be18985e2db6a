namespace DistGmm.Remoting;

/// <summary>
/// The receive side shared by all transports: size, format and HMAC checks, then duplicate suppression by
/// message id over a bounded window. Rejections are counted and logged, never thrown at the sender.
/// </summary>
internal sealed class InboundFilter(EnvelopeCodec codec, TransportCounters counters, Action<string> log, string nodeName, int dedupWindow = 8192)
{
    private readonly HashSet<Guid> _seen = [];
    private readonly Queue<Guid> _order = new();
    private readonly Lock _gate = new();

    public bool TryAccept(ReadOnlySpan<byte> bytes, out Envelope envelope)
    {
        envelope = null!;
        try
        {
            envelope = codec.Decode(bytes);
        }
        catch (EnvelopeAuthenticationException ex)
        {
            counters.AuthenticationRejected();
            log($"remoting[{nodeName}]: dropped a message that failed authentication ({counters.RejectedAuthentication} so far): {ex.Message}");
            return false;
        }
        catch (RemotingException ex) when (ex is EnvelopeFormatException or MessageTooLargeException)
        {
            counters.MalformedRejected();
            log($"remoting[{nodeName}]: dropped a malformed message ({bytes.Length} bytes): {ex.Message}");
            return false;
        }
        lock (_gate)
        {
            if (!_seen.Add(envelope.MessageId))
            {
                counters.DuplicateDropped();
                return false;
            }
            _order.Enqueue(envelope.MessageId);
            if (_order.Count > dedupWindow) _seen.Remove(_order.Dequeue());
        }
        counters.Received(bytes.Length);
        return true;
    }
}
