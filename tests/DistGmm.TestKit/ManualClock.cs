namespace DistGmm.TestKit;

/// <summary>
/// A clock that moves only when the test calls <see cref="Advance"/>. Timers due by then fire synchronously inside
/// Advance, in due-time order, so a timer's message is already in the actor's mailbox when Advance returns.
/// </summary>
public sealed class ManualClock(DateTimeOffset? start = null) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _sequence;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>Timers currently scheduled (not disposed, with a finite due time).</summary>
    public int ActiveTimers
    {
        get { lock (_gate) return _timers.Count(t => t.Due is not null); }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_gate) _timers.Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_gate) target = _now + delta;
        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.Due is { } due && due <= target)
                    .OrderBy(t => t.Due).ThenBy(t => t.Sequence).FirstOrDefault();
                if (next is null) { _now = target; break; }
                _now = next.Due!.Value;
                next.Due = next.Period is { } p && p > TimeSpan.Zero ? _now + p : null;
                next.Sequence = ++_sequence;
            }
            next.Fire();
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_gate)
        {
            timer.Due = dueTime == Timeout.InfiniteTimeSpan ? null : _now + dueTime;
            timer.Period = period == Timeout.InfiniteTimeSpan ? null : period;
            timer.Sequence = ++_sequence;
        }
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate) _timers.Remove(timer);
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }
        public TimeSpan? Period { get; set; }
        public long Sequence { get; set; }
        private bool _disposed;

        public void Fire()
        {
            if (!Volatile.Read(ref _disposed)) callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (Volatile.Read(ref _disposed)) return false;
            clock.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose()
        {
            Volatile.Write(ref _disposed, true);
            clock.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
