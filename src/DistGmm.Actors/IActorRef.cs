namespace DistGmm.Actors;

/// <summary>
/// An address you can send messages to. A ref may be local (an actor in this process) or remote (a transport proxy);
/// code holding it never knows which. A transport implements a remote ref with nothing but <see cref="Tell"/>:
/// death watch travels as ordinary messages (<see cref="Watch"/>, <see cref="Unwatch"/>,
/// <see cref="DeathWatchNotification"/>), so serialising (message, sender) and calling the far side's local ref's
/// Tell is all it takes. Messages must be immutable (records), because a local Tell passes the object itself.
/// </summary>
public interface IActorRef
{
    /// <summary>Unique, stable address, e.g. <c>distgmm://jobs/user/coordinator/worker-0</c>.</summary>
    string Path { get; }

    /// <summary>Fire and forget; never blocks, never throws for a dead target (the message becomes a dead letter).</summary>
    void Tell(object message, IActorRef? sender = null);
}

public static class ActorRefs
{
    /// <summary>A ref that swallows everything: the sender of messages sent from outside any actor.</summary>
    public static IActorRef Nobody { get; } = new NobodyRef();

    private sealed class NobodyRef : IActorRef
    {
        public string Path => "distgmm://nobody";
        public void Tell(object message, IActorRef? sender = null) { }
        public override string ToString() => Path;
    }
}
