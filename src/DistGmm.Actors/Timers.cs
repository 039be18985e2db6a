namespace DistGmm.Actors;

/// <summary>
/// Per-actor timers driven by the system's <see cref="TimeProvider"/> (inject a manual clock in tests). A timer's
/// message is delivered to the actor itself; restarting a timer with the same key or cancelling it guarantees the old
/// message is not received, even if it was already queued. All timers are cancelled on restart and stop.
/// </summary>
public interface ITimerScheduler
{
    void StartSingleTimer(object key, object message, TimeSpan delay);
    void StartPeriodicTimer(object key, object message, TimeSpan interval);
    bool IsTimerActive(object key);
    void Cancel(object key);
    void CancelAll();
}

internal sealed class TimerScheduler(IActorRef self, TimeProvider clock) : ITimerScheduler
{
    private readonly Dictionary<object, (long Generation, bool Periodic, ITimer Timer)> _timers = [];
    private long _generation;

    public void StartSingleTimer(object key, object message, TimeSpan delay) => Start(key, message, delay, periodic: false);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval) => Start(key, message, interval, periodic: true);

    public bool IsTimerActive(object key) => _timers.ContainsKey(key);

    public void Cancel(object key)
    {
        if (_timers.Remove(key, out var t)) t.Timer.Dispose();
    }

    public void CancelAll()
    {
        foreach (var t in _timers.Values) t.Timer.Dispose();
        _timers.Clear();
    }

    /// <summary>Returns the user message when the fired timer is still the current one for its key.</summary>
    public bool TryAccept(TimerFired fired, out object message)
    {
        message = fired.Message;
        if (!_timers.TryGetValue(fired.Key, out var t) || t.Generation != fired.Generation) return false;
        if (!t.Periodic) { _timers.Remove(fired.Key); t.Timer.Dispose(); }
        return true;
    }

    private void Start(object key, object message, TimeSpan delay, bool periodic)
    {
        Cancel(key);
        var generation = ++_generation;
        var fired = new TimerFired(key, generation, message);
        var timer = clock.CreateTimer(static state =>
        {
            var (target, msg) = ((IActorRef, TimerFired))state!;
            target.Tell(msg, target);
        }, (self, fired), delay, periodic ? delay : Timeout.InfiniteTimeSpan);
        _timers[key] = (generation, periodic, timer);
    }
}
