namespace DistGmm.Actors;

public enum Directive { Resume, Restart, Stop, Escalate }

/// <summary>
/// One-for-one supervision: the parent decides per failing child. A restart budget of
/// <see cref="MaxNrOfRetries"/> within <see cref="WithinTimeRange"/> bounds crash loops; past it the child is stopped
/// (and its watchers get <see cref="Terminated"/>). -1 retries means unlimited.
/// </summary>
public sealed class SupervisorStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Func<Exception, Directive> decider)
{
    public int MaxNrOfRetries { get; } = maxNrOfRetries;
    public TimeSpan? WithinTimeRange { get; } = withinTimeRange;
    public Func<Exception, Directive> Decider { get; } = decider;

    /// <summary>Akka's default decider: initialisation failures, kills and death pacts stop; anything else restarts.</summary>
    public static Directive DefaultDecider(Exception cause) => cause switch
    {
        ActorInitializationException or ActorKilledException or DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    /// <summary>Restart up to 10 times a minute, then stop.</summary>
    public static SupervisorStrategy Default { get; } = new(10, TimeSpan.FromMinutes(1), DefaultDecider);

    public static SupervisorStrategy StoppingStrategy { get; } = new(0, null, _ => Directive.Stop);
}

/// <summary>The restart budget bookkeeping of one child (lives in the parent's cell).</summary>
internal sealed class RestartStatistics
{
    private int _count;
    private DateTimeOffset _windowStart;

    public bool RequestRestartPermission(SupervisorStrategy strategy, DateTimeOffset now)
    {
        if (strategy.MaxNrOfRetries < 0) return true;
        if (strategy.WithinTimeRange is not { } window)
            return ++_count <= strategy.MaxNrOfRetries;
        if (_count == 0 || now - _windowStart > window)
        {
            _windowStart = now;
            _count = 1;
            return strategy.MaxNrOfRetries >= 1;
        }
        return ++_count <= strategy.MaxNrOfRetries;
    }
}
