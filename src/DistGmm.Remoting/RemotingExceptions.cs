namespace DistGmm.Remoting;

/// <summary>Base of the remoting layer's own errors.</summary>
public class RemotingException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An envelope (outgoing or incoming) is over the configured maximum size.</summary>
public sealed class MessageTooLargeException(string messageType, string recipientPath, long sizeBytes, int maxBytes)
    : RemotingException(
        $"message '{messageType}' to '{recipientPath}' is {sizeBytes} bytes, over the {maxBytes}-byte limit " +
        "(raise broker.maxMessageBytes in the cluster config, or split the payload)")
{
    public long SizeBytes { get; } = sizeBytes;
    public int MaxBytes { get; } = maxBytes;
}

/// <summary>Received bytes are not a well-formed envelope of a version this node speaks.</summary>
public sealed class EnvelopeFormatException(string message, int offset)
    : RemotingException($"malformed envelope at byte offset {offset}: {message}")
{
    public int Offset { get; } = offset;
}

/// <summary>An envelope's HMAC is missing or does not verify under this node's cluster secret.</summary>
public sealed class EnvelopeAuthenticationException(string message) : RemotingException(message);

/// <summary>The recipient node has no queue/inbox (never started, or gone).</summary>
public sealed class NodeUnreachableException(string nodeName, string reason, Exception? inner = null)
    : RemotingException($"node '{nodeName}' is unreachable: {reason}", inner)
{
    public string NodeName { get; } = nodeName;
}

/// <summary>A payload names a message type with no registered serializer, or cannot be decoded.</summary>
public sealed class MessageSerializationException(string message, Exception? inner = null) : RemotingException(message, inner);
