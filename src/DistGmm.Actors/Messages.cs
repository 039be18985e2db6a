namespace DistGmm.Actors;

/// <summary>Marker for messages the actor cell handles itself, ahead of user messages; they never reach a receive.</summary>
public interface ISystemMessage;

/// <summary>Asks <paramref name="Watchee"/> to send <paramref name="Watcher"/> a <see cref="DeathWatchNotification"/> when it stops.</summary>
public sealed record Watch(IActorRef Watchee, IActorRef Watcher) : ISystemMessage;

public sealed record Unwatch(IActorRef Watchee, IActorRef Watcher) : ISystemMessage;

/// <summary>
/// Sent by a stopped actor (or by a transport that lost the node: <paramref name="AddressTerminated"/>) to its watchers;
/// the watcher's cell turns it into a <see cref="Terminated"/> user message.
/// </summary>
public sealed record DeathWatchNotification(IActorRef Actor, bool ExistenceConfirmed, bool AddressTerminated) : ISystemMessage;

/// <summary>Received by a watcher after the watched actor stopped, after every message that actor sent before.</summary>
public sealed record Terminated(IActorRef ActorRef, bool ExistenceConfirmed, bool AddressTerminated);

/// <summary>Stops the receiving actor when it is processed (messages before it are handled first).</summary>
public sealed record PoisonPill
{
    public static PoisonPill Instance { get; } = new();
}

/// <summary>Makes the receiving actor fail with <see cref="ActorKilledException"/> (default strategy: stop).</summary>
public sealed record Kill
{
    public static Kill Instance { get; } = new();
}

/// <summary>Replies for Ask: a <see cref="Failure"/> completes the asking task with its exception.</summary>
public static class Status
{
    public sealed record Success(object? Value);
    public sealed record Failure(Exception Cause);
}

/// <summary>Published on the event stream when a message could not be delivered.</summary>
public sealed record DeadLetter(object Message, IActorRef? Sender, IActorRef Recipient);

/// <summary>Published on the event stream when an actor did not handle a message.</summary>
public sealed record UnhandledMessage(object Message, IActorRef? Sender, IActorRef Recipient);

/// <summary>Published on the event stream when an actor fails or a lifecycle hook throws.</summary>
public sealed record ActorError(string ActorPath, Exception Cause, string Message);

// Cell-internal system messages.
internal sealed record Create : ISystemMessage;
internal sealed record Failed(IActorRef Child, Exception Cause, object? Message) : ISystemMessage;
internal sealed record Recreate(Exception Cause) : ISystemMessage;
internal sealed record Resume : ISystemMessage;
internal sealed record Terminate : ISystemMessage;
internal sealed record ChildTerminated(IActorRef Child) : ISystemMessage;
internal sealed record TimerFired(object Key, long Generation, object Message);
