namespace DistGmm.Actors;

/// <summary>How to create (and re-create, on restart) an actor: a factory called on the actor's own mailbox run.</summary>
public sealed class Props
{
    private Props(Type actorType, Func<ActorBase> factory) { ActorType = actorType; Factory = factory; }

    public Type ActorType { get; }
    internal Func<ActorBase> Factory { get; }

    /// <summary>The factory runs again on every restart, so it must build a fresh instance each call.</summary>
    public static Props Create<TActor>(Func<TActor> factory) where TActor : ActorBase =>
        new(typeof(TActor), factory);

    public static Props Create<TActor>() where TActor : ActorBase, new() => new(typeof(TActor), () => new TActor());
}
