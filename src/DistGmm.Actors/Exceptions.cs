namespace DistGmm.Actors;

/// <summary>An Ask got no reply in time; names the target and the message type so the hang is diagnosable.</summary>
public sealed class AskTimeoutException(string targetPath, Type messageType, TimeSpan timeout)
    : TimeoutException($"Ask to {targetPath} with {messageType.Name} got no reply within {timeout.TotalSeconds:0.###} s")
{
    public string TargetPath { get; } = targetPath;
    public Type MessageType { get; } = messageType;
    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>The actor's constructor or PreStart/PostRestart threw; the default strategy stops such an actor.</summary>
public sealed class ActorInitializationException(string actorPath, Exception inner)
    : Exception($"Actor {actorPath} failed to initialise: {inner.Message}", inner)
{
    public string ActorPath { get; } = actorPath;
}

public sealed class ActorKilledException(string actorPath) : Exception($"Actor {actorPath} was killed");

/// <summary>An actor received <see cref="Terminated"/> for a watched actor and did not handle it.</summary>
public sealed class DeathPactException(string watchedPath) : Exception($"Unhandled Terminated for watched actor {watchedPath}");

public sealed class InvalidActorNameException(string message) : ArgumentException(message);
