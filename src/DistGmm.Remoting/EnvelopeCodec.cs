using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DistGmm.Remoting;

/// <summary>
/// The envelope wire format, version 1 (all integers little-endian):
/// <code>
///   0  'D' 'G'               magic
///   2  version      u8       = 1
///   3  flags        u8       bit 0: an HMAC trailer is present
///   4  message id   16 bytes (Guid)
///  20  sender       u16 length + UTF-8
///      recipient    u16 length + UTF-8
///      type         u16 length + UTF-8
///      payload      u32 length + bytes
///      [hmac]       32 bytes HMAC-SHA256(secret, every byte before it)
/// </code>
/// With a cluster secret every envelope is signed, and an incoming one must carry a verifying HMAC. Without a
/// secret (loopback development only) envelopes are unsigned and any trailer is ignored. The maximum size
/// applies to the whole encoded envelope, both ways.
/// </summary>
public sealed class EnvelopeCodec
{
    public const int DefaultMaxMessageBytes = 16 * 1024 * 1024;
    public const int MaxTextBytes = 1024;
    private const int HeaderBytes = 20;
    private const int HmacBytes = 32;
    private const byte FlagHmac = 1;

    private readonly ClusterSecret? _secret;

    public EnvelopeCodec(ClusterSecret? secret = null, int maxMessageBytes = DefaultMaxMessageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 256);
        _secret = secret;
        MaxMessageBytes = maxMessageBytes;
    }

    public int MaxMessageBytes { get; }

    public bool IsSigned => _secret is not null;

    public byte[] Encode(Envelope envelope)
    {
        var sender = TextBytes(envelope.SenderPath, "sender path");
        var recipient = TextBytes(envelope.RecipientPath, "recipient path");
        var type = TextBytes(envelope.MessageType, "message type");
        if (type.Length == 0) throw new ArgumentException("an envelope needs a message type", nameof(envelope));
        var unsignedLength = HeaderBytes + 2 + sender.Length + 2 + recipient.Length + 2 + type.Length + 4L + envelope.Payload.Length;
        var total = unsignedLength + (_secret is null ? 0 : HmacBytes);
        if (total > MaxMessageBytes)
            throw new MessageTooLargeException(envelope.MessageType, envelope.RecipientPath, total, MaxMessageBytes);

        var bytes = new byte[total];
        var span = bytes.AsSpan();
        span[0] = (byte)'D';
        span[1] = (byte)'G';
        span[2] = Envelope.CurrentVersion;
        span[3] = _secret is null ? (byte)0 : FlagHmac;
        envelope.MessageId.TryWriteBytes(span.Slice(4, 16));
        var offset = HeaderBytes;
        offset = WriteText(span, offset, sender);
        offset = WriteText(span, offset, recipient);
        offset = WriteText(span, offset, type);
        BinaryPrimitives.WriteUInt32LittleEndian(span[offset..], (uint)envelope.Payload.Length);
        offset += 4;
        envelope.Payload.Span.CopyTo(span[offset..]);
        offset += envelope.Payload.Length;
        _secret?.ComputeHmac(span[..offset], span.Slice(offset, HmacBytes));
        return bytes;
    }

    /// <summary>
    /// Parses and verifies. Throws <see cref="MessageTooLargeException"/>, <see cref="EnvelopeFormatException"/>
    /// (with the byte offset) or <see cref="EnvelopeAuthenticationException"/>.
    /// </summary>
    public Envelope Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxMessageBytes)
            throw new MessageTooLargeException("(incoming)", "(this node)", bytes.Length, MaxMessageBytes);
        if (bytes.Length < HeaderBytes)
            throw new EnvelopeFormatException($"{bytes.Length} bytes is shorter than the {HeaderBytes}-byte header", bytes.Length);
        if (bytes[0] != 'D' || bytes[1] != 'G') throw new EnvelopeFormatException("not a DistGmm envelope (bad magic)", 0);
        if (bytes[2] != Envelope.CurrentVersion)
            throw new EnvelopeFormatException($"unsupported envelope version {bytes[2]} (this node speaks {Envelope.CurrentVersion})", 2);
        var flags = bytes[3];
        if ((flags & ~FlagHmac) != 0) throw new EnvelopeFormatException($"unknown flags 0x{flags:x2}", 3);
        var messageId = new Guid(bytes.Slice(4, 16));
        var offset = HeaderBytes;
        var sender = ReadText(bytes, ref offset, "sender path");
        var recipient = ReadText(bytes, ref offset, "recipient path");
        var type = ReadText(bytes, ref offset, "message type");
        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(Need(bytes, offset, 4, "payload length"));
        offset += 4;
        var payload = Need(bytes, offset, payloadLength, "payload").ToArray();
        offset += (int)payloadLength;
        var signed = (flags & FlagHmac) != 0;
        var expectedEnd = offset + (signed ? HmacBytes : 0);
        if (bytes.Length < expectedEnd) throw new EnvelopeFormatException($"HMAC trailer truncated ({bytes.Length - offset} of {HmacBytes} bytes)", offset);
        if (bytes.Length > expectedEnd) throw new EnvelopeFormatException($"{bytes.Length - expectedEnd} unexpected bytes after the envelope", expectedEnd);

        if (_secret is not null)
        {
            if (!signed)
                throw new EnvelopeAuthenticationException($"unsigned message '{type}' from '{sender}' refused: this cluster requires an HMAC");
            Span<byte> expected = stackalloc byte[HmacBytes];
            _secret.ComputeHmac(bytes[..offset], expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, bytes.Slice(offset, HmacBytes)))
                throw new EnvelopeAuthenticationException($"message '{type}' claiming to be from '{sender}' has an HMAC that does not verify (wrong cluster secret or tampered)");
        }
        return new Envelope(messageId, sender, recipient, type, payload);
    }

    private static byte[] TextBytes(string text, string what)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > MaxTextBytes)
            throw new ArgumentException($"{what} is {bytes.Length} bytes of UTF-8, over the {MaxTextBytes}-byte limit");
        return bytes;
    }

    private static int WriteText(Span<byte> span, int offset, byte[] text)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(span[offset..], (ushort)text.Length);
        text.CopyTo(span[(offset + 2)..]);
        return offset + 2 + text.Length;
    }

    private static string ReadText(ReadOnlySpan<byte> bytes, ref int offset, string what)
    {
        int length = BinaryPrimitives.ReadUInt16LittleEndian(Need(bytes, offset, 2, what + " length"));
        if (length > MaxTextBytes) throw new EnvelopeFormatException($"{what} length {length} is over {MaxTextBytes}", offset);
        offset += 2;
        var text = Need(bytes, offset, (uint)length, what);
        try
        {
            var value = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(text);
            offset += length;
            return value;
        }
        catch (DecoderFallbackException)
        {
            throw new EnvelopeFormatException($"{what} is not valid UTF-8", offset);
        }
    }

    private static ReadOnlySpan<byte> Need(ReadOnlySpan<byte> bytes, int offset, uint count, string what)
    {
        if ((ulong)offset + count > (ulong)bytes.Length)
            throw new EnvelopeFormatException($"truncated: {what} needs {count} bytes, {bytes.Length - offset} remain", offset);
        return bytes.Slice(offset, (int)count);
    }
}
