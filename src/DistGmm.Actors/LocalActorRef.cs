namespace DistGmm.Actors;

/// <summary>A ref to an actor in this process. Routes <see cref="ISystemMessage"/>s to the system channel.</summary>
internal sealed class LocalActorRef(string path, ActorSystem system) : IActorRef
{
    private ActorCell? _cell;

    public string Path { get; } = path;
    internal ActorCell Cell => _cell ?? throw new InvalidOperationException($"{Path} is not initialised");
    internal ActorSystem System { get; } = system;

    internal void Attach(ActorCell cell) => _cell = cell;

    public void Tell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var envelope = new Envelope(message, sender ?? ActorRefs.Nobody);
        var delivered = message is ISystemMessage
            ? Cell.Mailbox.PostSystem(envelope)
            : Cell.Mailbox.PostUser(envelope);
        if (!delivered) System.OnUndeliverable(envelope, this);
    }

    public override string ToString() => Path;
}
