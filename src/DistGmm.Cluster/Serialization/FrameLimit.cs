using Akka.Actor;

namespace DistGmm.Cluster.Serialization;

/// <summary>
/// Akka.Remote drops a message larger than <c>akka.remote.dot-netty.tcp.maximum-frame-size</c> with only a log line:
/// coordinator and worker check a message bound for another node first, so the job fails with an error naming the
/// setting instead of waiting forever for an answer that never comes. Local messages are never serialized.
/// </summary>
public static class FrameLimit
{
    public const string Setting = "akka.remote.dot-netty.tcp.maximum-frame-size";

    /// <summary>Akka's envelope, actor paths and our header, generously.</summary>
    private const long Envelope = 16 * 1024;

    /// <summary>The error for a message of about <paramref name="approxBytes"/> to <paramref name="recipient"/>, or null if it fits.</summary>
    /// <param name="what">Names the message in the error, e.g. "shard 3's statistics for pass 7".</param>
    public static string? Exceeded(ActorSystem system, IActorRef recipient, long approxBytes, string what)
    {
        if (!recipient.Path.Address.HasGlobalScope) return null;
        var max = system.Settings.Config.GetByteSize(Setting, null) ?? long.MaxValue;
        return approxBytes + Envelope <= max ? null
            : $"{what} is about {approxBytes} bytes, over {Setting} ({max} bytes): raise it on every node";
    }
}
