using System.Collections.Concurrent;
using System.Diagnostics;
using DistGmm.Actors;

namespace DistGmm.TestKit;

/// <summary>A failed TestKit expectation (the message says what was expected and what arrived).</summary>
public sealed class TestKitAssertionException(string message) : Exception(message);

/// <summary>
/// An actor whose received messages the test thread can assert on, Akka.TestKit style. It is a real actor, so it can
/// be a sender, be replied to, and watch other actors (<see cref="Watch"/> then <see cref="ExpectTerminated"/>).
/// Waiting for a message blocks until it arrives or the deadline passes; nothing sleeps.
/// </summary>
public sealed class TestProbe : IActorRef
{
    private readonly BlockingCollection<(object Message, IActorRef Sender)> _queue = new();
    private readonly ActorSystem _system;
    private readonly TestKitSettings _settings;
    private DateTime? _deadline;

    internal TestProbe(ActorSystem system, TestKitSettings settings, string? name)
    {
        _system = system;
        _settings = settings;
        Ref = system.ActorOf(Props.Create(() => new ProbeActor(_queue)), name);
    }

    public IActorRef Ref { get; }
    public string Path => Ref.Path;
    public IActorRef LastSender { get; private set; } = ActorRefs.Nobody;

    public void Tell(object message, IActorRef? sender = null) => Ref.Tell(message, sender);

    /// <summary>Sends with this probe as the sender, so replies come back here.</summary>
    public void Send(IActorRef target, object message) => target.Tell(message, Ref);

    public void Reply(object message) => LastSender.Tell(message, Ref);

    public void Forward(IActorRef target, object message) => target.Tell(message, LastSender);

    public void Watch(IActorRef target) => Ref.Tell(new ProbeActor.WatchRequest(target));

    public void Unwatch(IActorRef target) => Ref.Tell(new ProbeActor.UnwatchRequest(target));

    public T ExpectMsg<T>(TimeSpan? within = null) => ExpectMsg<T>(_ => true, within);

    public T ExpectMsg<T>(Func<T, bool> predicate, TimeSpan? within = null, string? hint = null)
    {
        var wait = Remaining(within);
        if (!TryTake(wait, out var message))
            throw new TestKitAssertionException($"Timeout ({wait.TotalSeconds:0.###} s) waiting for {typeof(T).Name}{Hint(hint)} at {Path}");
        if (message is not T typed)
            throw new TestKitAssertionException($"Expected {typeof(T).Name}{Hint(hint)} at {Path} but got {Describe(message)}");
        if (!predicate(typed))
            throw new TestKitAssertionException($"{typeof(T).Name} at {Path} did not match{Hint(hint)}: {Describe(message)}");
        return typed;
    }

    public T ExpectMsg<T>(T expected, TimeSpan? within = null) where T : notnull =>
        ExpectMsg<T>(m => EqualityComparer<T>.Default.Equals(m, expected), within, $" equal to {expected}");

    /// <summary>Asserts nothing arrives for <paramref name="duration"/> (the one expectation that must wait it out).</summary>
    public void ExpectNoMsg(TimeSpan? duration = null)
    {
        var wait = duration ?? _settings.NoMessageWait;
        if (TryTake(wait, out var message))
            throw new TestKitAssertionException($"Expected no message at {Path} for {wait.TotalSeconds:0.###} s but got {Describe(message)}");
    }

    /// <summary>Skips messages until one of type <typeparamref name="T"/> matches; fails on timeout.</summary>
    public T FishForMessage<T>(Func<T, bool> isTarget, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + Remaining(within);
        var skipped = new List<string>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero || !TryTake(left, out var message))
                throw new TestKitAssertionException(
                    $"Timeout fishing for {typeof(T).Name} at {Path}; skipped [{string.Join(", ", skipped)}]");
            if (message is T typed && isTarget(typed)) return typed;
            skipped.Add(Describe(message));
        }
    }

    public Terminated ExpectTerminated(IActorRef target, TimeSpan? within = null) =>
        ExpectMsg<Terminated>(t => Equals(t.ActorRef, target), within, $" for {target.Path}");

    /// <summary>Receives exactly <paramref name="count"/> messages of any type.</summary>
    public IReadOnlyList<object> ReceiveN(int count, TimeSpan? within = null)
    {
        var result = new List<object>(count);
        for (var i = 0; i < count; i++) result.Add(ExpectMsg<object>(within));
        return result;
    }

    /// <summary>
    /// Runs <paramref name="block"/> with a deadline: expectations inside default to the time left, and the block
    /// fails if it takes longer than <paramref name="max"/>.
    /// </summary>
    public T Within<T>(TimeSpan max, Func<T> block)
    {
        var outer = _deadline;
        var start = Stopwatch.StartNew();
        _deadline = DateTime.UtcNow + max;
        try
        {
            var result = block();
            if (start.Elapsed > max)
                throw new TestKitAssertionException($"Block took {start.Elapsed.TotalSeconds:0.###} s, more than {max.TotalSeconds:0.###} s");
            return result;
        }
        finally
        {
            _deadline = outer;
        }
    }

    public void Within(TimeSpan max, Action block) => Within(max, () => { block(); return 0; });

    public bool HasMessages => _queue.Count > 0;

    private bool TryTake(TimeSpan wait, out object message)
    {
        if (_queue.TryTake(out var item, wait < TimeSpan.Zero ? TimeSpan.Zero : wait))
        {
            LastSender = item.Sender;
            message = item.Message;
            return true;
        }
        message = null!;
        return false;
    }

    private TimeSpan Remaining(TimeSpan? within)
    {
        var requested = within ?? _settings.DefaultTimeout;
        if (_deadline is { } d)
        {
            var left = d - DateTime.UtcNow;
            return left < requested ? left : requested;
        }
        return requested;
    }

    private static string Hint(string? hint) => hint ?? "";

    private static string Describe(object message) => $"{message.GetType().Name} {message}";

    public override string ToString() => Path;

    private sealed class ProbeActor(BlockingCollection<(object, IActorRef)> queue) : ActorBase
    {
        public sealed record WatchRequest(IActorRef Target);
        public sealed record UnwatchRequest(IActorRef Target);

        protected override SupervisorStrategy SupervisorStrategy => SupervisorStrategy.StoppingStrategy;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case WatchRequest w: Context.Watch(w.Target); break;
                case UnwatchRequest u: Context.Unwatch(u.Target); break;
                default: queue.Add((message, Sender)); break;
            }
        }
    }
}
