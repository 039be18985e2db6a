using System.Security.Cryptography;
using System.Text;

namespace DistGmm.Remoting;

/// <summary>
/// The shared secret that keys every envelope's HMAC-SHA256. Never printed: <see cref="ToString"/> is redacted.
/// </summary>
public sealed class ClusterSecret
{
    /// <summary>Shorter secrets are refused: they would make the HMAC guessable.</summary>
    public const int MinimumBytes = 16;

    private readonly byte[] _key;

    public ClusterSecret(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinimumBytes)
            throw new ArgumentException($"the cluster secret must be at least {MinimumBytes} bytes, got {key.Length}", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>The UTF-8 bytes of <paramref name="secret"/>, with surrounding whitespace (e.g. a file's newline) trimmed.</summary>
    public static ClusterSecret FromString(string secret) => new(Encoding.UTF8.GetBytes(secret.Trim()));

    internal void ComputeHmac(ReadOnlySpan<byte> data, Span<byte> destination) => HMACSHA256.HashData(_key, data, destination);

    public override string ToString() => "ClusterSecret(redacted)";
}
