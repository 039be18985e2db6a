using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace DistGmm.Remoting.Tests;

public sealed class EnvelopeCodecTests
{
    private static readonly ClusterSecret Secret = ClusterSecret.FromString("correct horse battery staple");
    private static readonly Guid Id = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

    private static Envelope Sample(int payloadBytes = 2) =>
        new(Id, "a", "b", "T", Enumerable.Range(1, payloadBytes).Select(i => (byte)i).ToArray());

    [Fact]
    public void An_unsigned_envelope_has_the_documented_little_endian_layout()
    {
        var bytes = new EnvelopeCodec().Encode(Sample());

        byte[] expected =
        [
            (byte)'D', (byte)'G', 1, 0,
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
            1, 0, (byte)'a',
            1, 0, (byte)'b',
            1, 0, (byte)'T',
            2, 0, 0, 0, 1, 2,
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void A_signed_envelope_ends_with_the_hmac_sha256_of_everything_before_it()
    {
        var unsigned = new EnvelopeCodec().Encode(Sample());
        var signed = new EnvelopeCodec(Secret).Encode(Sample());

        Assert.Equal(unsigned.Length + 32, signed.Length);
        Assert.Equal(1, signed[3]); // flags: HMAC present
        var body = signed[..^32];
        Assert.Equal(unsigned[4..], body[4..]);
        var hmac = HMACSHA256.HashData(Encoding.UTF8.GetBytes("correct horse battery staple"), body);
        Assert.Equal(hmac, signed[^32..]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Decoding_returns_every_field(bool signed)
    {
        var codec = new EnvelopeCodec(signed ? Secret : null);
        var original = Envelope.Create("distgmm://job@coordinator/user/coordinator", "distgmm://job@w-1/user/worker", "ComputeEStep", new byte[] { 9, 8, 7 });

        var decoded = codec.Decode(codec.Encode(original));

        Assert.Equal(original.MessageId, decoded.MessageId);
        Assert.Equal(original.SenderPath, decoded.SenderPath);
        Assert.Equal(original.RecipientPath, decoded.RecipientPath);
        Assert.Equal(original.MessageType, decoded.MessageType);
        Assert.Equal(original.Payload.ToArray(), decoded.Payload.ToArray());
    }

    [Fact]
    public void Any_single_flipped_bit_of_a_signed_envelope_is_rejected()
    {
        var codec = new EnvelopeCodec(Secret);
        var bytes = codec.Encode(Sample(payloadBytes: 24));
        for (var i = 0; i < bytes.Length; i++)
        {
            var tampered = (byte[])bytes.Clone();
            tampered[i] ^= 0x04;
            var error = Assert.ThrowsAny<RemotingException>(() => codec.Decode(tampered));
            Assert.True(error is EnvelopeAuthenticationException or EnvelopeFormatException, $"byte {i}: {error.GetType().Name}");
        }
    }

    [Fact]
    public void A_wrong_secret_or_a_missing_signature_does_not_verify()
    {
        var receiver = new EnvelopeCodec(Secret);
        var forged = new EnvelopeCodec(ClusterSecret.FromString("not the cluster secret at all")).Encode(Sample());
        Assert.Contains("does not verify", Assert.Throws<EnvelopeAuthenticationException>(() => receiver.Decode(forged)).Message);

        var unsigned = new EnvelopeCodec().Encode(Sample());
        Assert.Contains("unsigned message 'T' from 'a' refused", Assert.Throws<EnvelopeAuthenticationException>(() => receiver.Decode(unsigned)).Message);
    }

    [Fact]
    public void The_size_limit_covers_the_whole_envelope_exactly()
    {
        const int limit = 300;
        var codec = new EnvelopeCodec(Secret, limit);
        var overhead = codec.Encode(Sample(payloadBytes: 0)).Length;

        Assert.Equal(limit, codec.Encode(Sample(payloadBytes: limit - overhead)).Length);
        var tooLarge = Assert.Throws<MessageTooLargeException>(() => codec.Encode(Sample(payloadBytes: limit - overhead + 1)));
        Assert.Equal(limit + 1, tooLarge.SizeBytes);
        Assert.Contains($"message 'T' to 'b' is {limit + 1} bytes, over the {limit}-byte limit", tooLarge.Message);

        var big = new EnvelopeCodec(Secret, 4096).Encode(Sample(payloadBytes: 1000));
        Assert.Throws<MessageTooLargeException>(() => codec.Decode(big));
    }

    [Fact]
    public void Malformed_input_is_reported_with_its_byte_offset()
    {
        var codec = new EnvelopeCodec();
        var good = codec.Encode(Sample());

        var version = (byte[])good.Clone();
        version[2] = 2;
        var error = Assert.Throws<EnvelopeFormatException>(() => codec.Decode(version));
        Assert.Equal(2, error.Offset);
        Assert.Contains("unsupported envelope version 2 (this node speaks 1)", error.Message);

        var truncated = Assert.Throws<EnvelopeFormatException>(() => codec.Decode(good[..^1]));
        Assert.Equal(33, truncated.Offset);
        Assert.Contains("payload needs 2 bytes, 1 remain", truncated.Message);

        Assert.Contains("bad magic", Assert.Throws<EnvelopeFormatException>(() => codec.Decode(new byte[40])).Message);
        Assert.Contains("unexpected bytes", Assert.Throws<EnvelopeFormatException>(() => codec.Decode([.. good, 0])).Message);
    }

    [Fact]
    public void Secrets_must_be_long_enough_and_are_never_printed()
    {
        Assert.Contains("at least 16 bytes", Assert.Throws<ArgumentException>(() => ClusterSecret.FromString("short")).Message);
        Assert.Equal("ClusterSecret(redacted)", Secret.ToString());
    }
}
