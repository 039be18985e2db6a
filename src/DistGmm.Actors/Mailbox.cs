using System.Threading.Channels;

namespace DistGmm.Actors;

internal readonly record struct Envelope(object Message, IActorRef Sender);

/// <summary>
/// Two unbounded channels (system messages first, then user messages) and a "scheduled" flag: a run is queued on the
/// thread pool when work arrives and none is queued, so an actor never runs on two threads at once and costs no thread
/// while idle. A suspended actor (failed, awaiting its supervisor) processes only system messages.
/// </summary>
internal sealed class Mailbox(ActorCell cell, int throughput) : IThreadPoolWorkItem
{
    private readonly Channel<Envelope> _system = Channel.CreateUnbounded<Envelope>(new() { SingleReader = true });
    private readonly Channel<Envelope> _user = Channel.CreateUnbounded<Envelope>(new() { SingleReader = true });
    private int _scheduled;

    /// <summary>False when the mailbox is closed (actor stopped): the caller turns the message into a dead letter.</summary>
    public bool PostUser(in Envelope envelope)
    {
        if (!_user.Writer.TryWrite(envelope)) return false;
        TrySchedule();
        return true;
    }

    public bool PostSystem(in Envelope envelope)
    {
        if (!_system.Writer.TryWrite(envelope)) return false;
        TrySchedule();
        return true;
    }

    /// <summary>Closes both channels and returns what was still queued (called once, on the actor's own run).</summary>
    public List<Envelope> CloseAndDrain()
    {
        _system.Writer.TryComplete();
        _user.Writer.TryComplete();
        var left = new List<Envelope>();
        while (_system.Reader.TryRead(out var e)) left.Add(e);
        while (_user.Reader.TryRead(out var e)) left.Add(e);
        return left;
    }

    public void Execute()
    {
        try
        {
            ProcessSystem();
            for (var i = 0; i < throughput && cell.CanProcessUser; i++)
            {
                if (!_user.Reader.TryRead(out var envelope)) break;
                cell.Invoke(envelope);
                ProcessSystem();
            }
        }
        finally
        {
            Volatile.Write(ref _scheduled, 0);
            if (HasWork) TrySchedule();
        }
    }

    private bool HasWork =>
        _system.Reader.TryPeek(out _) || (cell.CanProcessUser && _user.Reader.TryPeek(out _));

    private void ProcessSystem()
    {
        while (_system.Reader.TryRead(out var envelope)) cell.SystemInvoke(envelope);
    }

    private void TrySchedule()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }
}
