namespace DistGmm.Remoting;

/// <summary>
/// One message between nodes: who sent it to whom, its type (a registry name), and the serialized payload.
/// <see cref="EnvelopeCodec"/> turns it into the versioned wire format.
/// </summary>
public sealed record Envelope(Guid MessageId, string SenderPath, string RecipientPath, string MessageType, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The wire-format version this build writes and reads.</summary>
    public const byte CurrentVersion = 1;

    public static Envelope Create(string senderPath, string recipientPath, string messageType, ReadOnlyMemory<byte> payload) =>
        new(Guid.NewGuid(), senderPath, recipientPath, messageType, payload);
}
