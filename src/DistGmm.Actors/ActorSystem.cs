using System.Collections.Concurrent;

namespace DistGmm.Actors;

/// <param name="Clock">Drives timers, Ask timeouts and restart budgets; a manual clock makes them testable without sleeps.</param>
/// <param name="Throughput">User messages an actor processes per mailbox run before yielding its thread.</param>
/// <param name="GuardianStrategy">How top-level actors (created with <see cref="ActorSystem.ActorOf"/>) are supervised.</param>
public sealed record ActorSystemSettings(TimeProvider? Clock = null, int Throughput = 32, SupervisorStrategy? GuardianStrategy = null)
{
    internal SupervisorStrategy Guardian => GuardianStrategy ?? SupervisorStrategy.Default;
}

/// <summary>
/// Hosts actors in this process. Top-level actors are children of the "user" guardian, whose strategy comes from the
/// settings. Paths look like <c>distgmm://NAME/user/coordinator/worker-0</c>.
/// </summary>
public sealed class ActorSystem : IDisposable, IAsyncDisposable
{
    private readonly ActorCell _guardian;
    private readonly ConcurrentDictionary<string, IActorRef> _temporary = new();
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _tempCounter;

    private ActorSystem(string name, ActorSystemSettings settings)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/')) throw new InvalidActorNameException($"Invalid actor system name '{name}'");
        Name = name;
        Settings = settings with { GuardianStrategy = settings.Guardian };
        Clock = settings.Clock ?? TimeProvider.System;
        var guardianRef = new LocalActorRef($"distgmm://{name}/user", this);
        _guardian = new ActorCell(this, guardianRef, parent: null, Props.Create(() => new GuardianActor(Settings.Guardian)), settings.Throughput);
        guardianRef.Tell(new Create());
    }

    public static ActorSystem Create(string name, ActorSystemSettings? settings = null) => new(name, settings ?? new ActorSystemSettings());

    public string Name { get; }
    public ActorSystemSettings Settings { get; }
    public TimeProvider Clock { get; }
    public EventStream EventStream { get; } = new();

    /// <summary>Completes when every actor has stopped after <see cref="Terminate"/>.</summary>
    public Task WhenTerminated => _terminated.Task;

    public IActorRef ActorOf(Props props, string? name = null) => _guardian.ActorOf(props, name);

    public void Stop(IActorRef actor) => actor.Tell(new Terminate());

    /// <summary>
    /// Sends <paramref name="message"/> with a one-shot reply ref as sender and awaits the reply. Fails with
    /// <see cref="AskTimeoutException"/> (naming target and message type) when no reply comes within the timeout.
    /// </summary>
    public Task<T> Ask<T>(IActorRef target, object message, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var path = $"distgmm://{Name}/temp/${Interlocked.Increment(ref _tempCounter)}";
        var promise = new PromiseActorRef<T>(path, target, message.GetType());
        _temporary[path] = promise;
        promise.Start(Clock, timeout, ct, () => _temporary.TryRemove(path, out _));
        target.Tell(message, promise);
        return promise.Task;
    }

    /// <summary>Finds a live local actor (or pending Ask reply ref) by path: what a transport needs for inbound messages.</summary>
    public bool TryResolve(string path, out IActorRef actorRef)
    {
        actorRef = ActorRefs.Nobody;
        if (_temporary.TryGetValue(path, out var temp)) { actorRef = temp; return true; }
        var prefix = _guardian.Self.Path;
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var cell = _guardian;
        foreach (var name in path[prefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!cell.TryGetChild(name, out var child)) return false;
            cell = child.Cell;
        }
        if (cell.IsTerminated) return false;
        actorRef = cell.Self;
        return true;
    }

    /// <summary>Stops all actors (children before parents, PostStop hooks run) and completes <see cref="WhenTerminated"/>.</summary>
    public Task Terminate()
    {
        _guardian.Self.Tell(new Terminate());
        return WhenTerminated;
    }

    public void Dispose() => Terminate().Wait(TimeSpan.FromSeconds(10));

    public async ValueTask DisposeAsync() => await Terminate().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);

    internal void OnGuardianTerminated() => _terminated.TrySetResult();

    /// <summary>A message reached a stopped actor: watchers learn it is dead, anything else is a dead letter.</summary>
    internal void OnUndeliverable(in Envelope envelope, IActorRef recipient)
    {
        switch (envelope.Message)
        {
            case Watch watch:
                watch.Watcher.Tell(new DeathWatchNotification(recipient, true, false), recipient);
                break;
            case ISystemMessage:
                break;
            default:
                EventStream.Publish(new DeadLetter(envelope.Message, envelope.Sender, recipient));
                break;
        }
    }

    private sealed class GuardianActor(SupervisorStrategy strategy) : ActorBase
    {
        protected override SupervisorStrategy SupervisorStrategy => strategy;
        protected override void OnReceive(object message) => Unhandled(message);
    }
}

/// <summary>Ask from anywhere holding the system, Akka-style: <c>system.Ask&lt;Reply&gt;(target, msg, timeout)</c>.</summary>
public static class AskExtensions
{
    public static Task<T> Ask<T>(this IActorRef target, ActorSystem system, object message, TimeSpan timeout, CancellationToken ct = default) =>
        system.Ask<T>(target, message, timeout, ct);
}
