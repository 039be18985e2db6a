namespace DistGmm.Actors;

/// <summary>What an actor may do from inside its receive (only ever on its own mailbox run: single-threaded).</summary>
public interface IActorContext
{
    IActorRef Self { get; }
    /// <summary>Sender of the message being processed (<see cref="ActorRefs.Nobody"/> when sent from outside actors).</summary>
    IActorRef Sender { get; }
    IActorRef? Parent { get; }
    ActorSystem System { get; }
    ITimerScheduler Timers { get; }
    IReadOnlyCollection<IActorRef> Children { get; }

    IActorRef ActorOf(Props props, string? name = null);
    void Stop(IActorRef actor);
    /// <summary>Receive <see cref="Terminated"/> when <paramref name="actor"/> stops (also if it already has).</summary>
    IActorRef Watch(IActorRef actor);
    IActorRef Unwatch(IActorRef actor);
    /// <summary>Replace the receive function until <see cref="Unbecome"/> (or a restart).</summary>
    void Become(Action<object> receive);
    void Unbecome();
}

/// <summary>
/// Base class of all actors, in the Akka manner: override <see cref="OnReceive"/>, call <see cref="Unhandled"/> for
/// messages you do not understand. State lives in fields; it is lost on restart (a fresh instance is created).
/// </summary>
public abstract class ActorBase
{
    [ThreadStatic] private static IActorContext? t_constructing;

    protected ActorBase()
    {
        Context = t_constructing ?? throw new InvalidOperationException(
            $"{GetType().Name} must be created through Props by an ActorSystem, not with 'new'.");
    }

    protected IActorContext Context { get; }
    protected IActorRef Self => Context.Self;
    protected IActorRef Sender => Context.Sender;

    /// <summary>How this actor supervises its children; read once per failure.</summary>
    protected virtual SupervisorStrategy SupervisorStrategy => SupervisorStrategy.Default;

    protected abstract void OnReceive(object message);

    protected virtual void PreStart() { }
    protected virtual void PostStop() { }

    /// <summary>Called on the failed instance; by default stops all children and runs <see cref="PostStop"/>.</summary>
    protected virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.Children) Context.Stop(child);
        PostStop();
    }

    /// <summary>Called on the fresh instance; by default runs <see cref="PreStart"/>.</summary>
    protected virtual void PostRestart(Exception reason) => PreStart();

    /// <summary>Unhandled <see cref="Terminated"/> fails the actor (death pact); anything else is published.</summary>
    protected void Unhandled(object message)
    {
        if (message is Terminated t) throw new DeathPactException(t.ActorRef.Path);
        Context.System.EventStream.Publish(new UnhandledMessage(message, Sender, Self));
    }

    // The cell calls the protected hooks through these (overrides outside this assembly must be 'protected').
    internal SupervisorStrategy Strategy => SupervisorStrategy;
    internal void InvokeReceive(object message) => OnReceive(message);
    internal void InvokePreStart() => PreStart();
    internal void InvokePostStop() => PostStop();
    internal void InvokePreRestart(Exception reason, object? message) => PreRestart(reason, message);
    internal void InvokePostRestart(Exception reason) => PostRestart(reason);

    internal static ActorBase Construct(IActorContext context, Props props)
    {
        var previous = t_constructing;
        t_constructing = context;
        try { return props.Factory(); }
        finally { t_constructing = previous; }
    }
}
