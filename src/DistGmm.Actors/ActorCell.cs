namespace DistGmm.Actors;

/// <summary>
/// The runtime side of one actor: its instance, mailbox, children, watch lists, timers and supervision state.
/// Every member except the constructor runs on the actor's mailbox run, so no locks are needed apart from the children
/// table, which <see cref="ActorSystem.ActorOf"/> touches from outside for the guardian.
/// </summary>
internal sealed class ActorCell : IActorContext
{
    private readonly Props _props;
    private readonly Lock _childrenGate = new();
    private readonly Dictionary<string, LocalActorRef> _children = [];
    private readonly Dictionary<IActorRef, RestartStatistics> _childStats = [];
    private readonly HashSet<IActorRef> _watching = [];
    private readonly HashSet<IActorRef> _watchedBy = [];
    private readonly Stack<Action<object>> _behaviors = new();
    private readonly TimerScheduler _timers;
    private ActorBase? _actor;
    private Envelope _current;
    private Exception? _pendingRecreate;
    private bool _suspended = true; // until Create has run
    private volatile bool _terminating;
    private int _nameCounter;

    public ActorCell(ActorSystem system, LocalActorRef self, IActorRef? parent, Props props, int throughput)
    {
        System = system;
        SelfRef = self;
        Parent = parent;
        _props = props;
        _timers = new TimerScheduler(self, system.Clock);
        Mailbox = new Mailbox(this, throughput);
        self.Attach(this);
    }

    public ActorSystem System { get; }
    public LocalActorRef SelfRef { get; }
    public IActorRef Self => SelfRef;
    public IActorRef? Parent { get; }
    public IActorRef Sender => _current.Sender ?? ActorRefs.Nobody;
    public ITimerScheduler Timers => _timers;
    public Mailbox Mailbox { get; }
    public bool IsTerminated => _isTerminated;
    private volatile bool _isTerminated;
    public bool CanProcessUser => !_suspended && !IsTerminated;

    public IReadOnlyCollection<IActorRef> Children
    {
        get { lock (_childrenGate) return [.. _children.Values]; }
    }

    public IActorRef ActorOf(Props props, string? name = null)
    {
        LocalActorRef childRef;
        bool stopAtOnce;
        lock (_childrenGate)
        {
            if (IsTerminated) throw new InvalidOperationException($"Cannot create a child of {Self.Path}: it has stopped");
            // A child created while this actor terminates (e.g. from a sibling's constructor) is stopped at once,
            // so termination still waits for it and completes.
            stopAtOnce = _terminating;
            name ??= "$" + (++_nameCounter).ToString(global::System.Globalization.CultureInfo.InvariantCulture);
            if (name.Length == 0 || name.Contains('/') || name.Any(char.IsWhiteSpace))
                throw new InvalidActorNameException($"Invalid actor name '{name}': no '/', no whitespace, not empty");
            if (_children.ContainsKey(name))
                throw new InvalidActorNameException($"Actor name '{name}' is not unique under {Self.Path}");
            childRef = new LocalActorRef(Self.Path + "/" + name, System);
            _ = new ActorCell(System, childRef, Self, props, System.Settings.Throughput);
            _children[name] = childRef;
        }
        childRef.Tell(new Create());
        if (stopAtOnce) Stop(childRef);
        return childRef;
    }

    public void Stop(IActorRef actor) => actor.Tell(new Terminate());

    public IActorRef Watch(IActorRef actor)
    {
        if (!Equals(actor, Self) && _watching.Add(actor)) actor.Tell(new Watch(actor, Self));
        return actor;
    }

    public IActorRef Unwatch(IActorRef actor)
    {
        if (_watching.Remove(actor)) actor.Tell(new Unwatch(actor, Self));
        return actor;
    }

    public void Become(Action<object> receive) => _behaviors.Push(receive);

    public void Unbecome()
    {
        if (_behaviors.Count > 0) _behaviors.Pop();
    }

    internal bool TryGetChild(string name, out LocalActorRef child)
    {
        lock (_childrenGate) return _children.TryGetValue(name, out child!);
    }

    // ---- user messages ----

    public void Invoke(Envelope envelope)
    {
        _current = envelope;
        try
        {
            switch (envelope.Message)
            {
                case PoisonPill:
                    Stop(Self);
                    break;
                case Kill:
                    throw new ActorKilledException(Self.Path);
                case TimerFired fired:
                    if (_timers.TryAccept(fired, out var timed)) Receive(timed);
                    break;
                case Terminated terminated:
                    // Dropped when unwatched after the notification was queued (Akka's guarantee).
                    if (_watching.Remove(terminated.ActorRef)) Receive(terminated);
                    break;
                default:
                    Receive(envelope.Message);
                    break;
            }
        }
        catch (Exception ex)
        {
            Fail(ex, envelope.Message);
        }
        finally
        {
            _current = default;
        }
    }

    private void Receive(object message)
    {
        if (_behaviors.TryPeek(out var behavior)) behavior(message);
        else _actor!.InvokeReceive(message);
    }

    /// <summary>Suspends this actor and asks its parent what to do (the failing message is dropped).</summary>
    private void Fail(Exception cause, object? message)
    {
        _suspended = true;
        System.EventStream.Publish(new ActorError(Self.Path, cause, $"{Self.Path} failed on {message?.GetType().Name ?? "start"}: {cause.Message}"));
        if (Parent is null) { Stop(Self); return; }
        Parent.Tell(new Failed(Self, cause, message));
    }

    // ---- system messages ----

    public void SystemInvoke(Envelope envelope)
    {
        var previous = _current;
        _current = envelope;
        try
        {
            switch (envelope.Message)
            {
                case Create: HandleCreate(); break;
                case Failed failed: HandleChildFailed(failed); break;
                case Recreate recreate: HandleRecreate(recreate.Cause); break;
                case Resume: if (!_terminating) _suspended = false; break;
                case Terminate: HandleTerminate(); break;
                case ChildTerminated child: HandleChildTerminated(child.Child); break;
                case Watch watch: HandleWatch(watch); break;
                case Unwatch unwatch: _watchedBy.Remove(unwatch.Watcher); break;
                case DeathWatchNotification n:
                    if (_watching.Contains(n.Actor) && !IsTerminated)
                        Mailbox.PostUser(new Envelope(new Terminated(n.Actor, n.ExistenceConfirmed, n.AddressTerminated), n.Actor));
                    break;
            }
        }
        finally
        {
            _current = previous;
        }
    }

    private void HandleCreate()
    {
        try
        {
            _actor = ActorBase.Construct(this, _props);
            _actor.InvokePreStart();
            _suspended = false;
        }
        catch (Exception ex)
        {
            _actor = null;
            Fail(new ActorInitializationException(Self.Path, ex), null);
        }
    }

    private void HandleWatch(Watch watch)
    {
        if (IsTerminated) watch.Watcher.Tell(new DeathWatchNotification(Self, true, false), Self);
        else if (!Equals(watch.Watcher, Self)) _watchedBy.Add(watch.Watcher);
    }

    private void HandleChildFailed(Failed failed)
    {
        bool known;
        lock (_childrenGate) known = _children.ContainsValue((LocalActorRef)failed.Child);
        if (!known || _terminating) return;

        var strategy = _actor?.Strategy ?? System.Settings.Guardian;
        var directive = strategy.Decider(failed.Cause);
        if (directive == Directive.Restart)
        {
            if (!_childStats.TryGetValue(failed.Child, out var stats)) _childStats[failed.Child] = stats = new RestartStatistics();
            if (!stats.RequestRestartPermission(strategy, System.Clock.GetUtcNow()))
            {
                System.EventStream.Publish(new ActorError(failed.Child.Path, failed.Cause,
                    $"{failed.Child.Path} exceeded its restart budget ({strategy.MaxNrOfRetries} within {strategy.WithinTimeRange}); stopping it. Last failure: {failed.Cause.Message}"));
                directive = Directive.Stop;
            }
        }
        switch (directive)
        {
            case Directive.Resume: failed.Child.Tell(new Resume()); break;
            case Directive.Restart: failed.Child.Tell(new Recreate(failed.Cause)); break;
            case Directive.Stop: Stop(failed.Child); break;
            case Directive.Escalate:
                if (Parent is null) Stop(failed.Child); // nobody above the guardian: stop the child
                else Fail(failed.Cause, failed.Message);
                break;
        }
    }

    private void HandleRecreate(Exception cause)
    {
        if (_terminating) return;
        _timers.CancelAll();
        _behaviors.Clear();
        if (_actor is not null)
        {
            try { _actor.InvokePreRestart(cause, null); }
            catch (Exception ex) { System.EventStream.Publish(new ActorError(Self.Path, ex, $"PreRestart of {Self.Path} threw")); }
        }
        _actor = null;
        _pendingRecreate = cause;
        if (ChildCount == 0) FinishRecreate();
    }

    private void FinishRecreate()
    {
        var cause = _pendingRecreate!;
        _pendingRecreate = null;
        try
        {
            _actor = ActorBase.Construct(this, _props);
            _actor.InvokePostRestart(cause);
            _suspended = false;
        }
        catch (Exception ex)
        {
            _actor = null;
            Fail(new ActorInitializationException(Self.Path, ex), null);
        }
    }

    private void HandleTerminate()
    {
        if (_terminating) return;
        _terminating = true;     // before the children snapshot: see ActorOf
        _suspended = true;
        _timers.CancelAll();
        foreach (var child in Children) Stop(child);
        if (ChildCount == 0) FinishTerminate();
    }

    private void HandleChildTerminated(IActorRef child)
    {
        lock (_childrenGate)
        {
            var name = child.Path[(child.Path.LastIndexOf('/') + 1)..];
            _children.Remove(name);
        }
        _childStats.Remove(child);
        if (ChildCount > 0) return;
        if (_terminating) FinishTerminate();
        else if (_pendingRecreate is not null) FinishRecreate();
    }

    private void FinishTerminate()
    {
        if (_actor is not null)
        {
            try { _actor.InvokePostStop(); }
            catch (Exception ex) { System.EventStream.Publish(new ActorError(Self.Path, ex, $"PostStop of {Self.Path} threw")); }
        }
        _actor = null;
        _isTerminated = true;
        foreach (var left in Mailbox.CloseAndDrain()) System.OnUndeliverable(left, SelfRef);
        foreach (var watcher in _watchedBy) watcher.Tell(new DeathWatchNotification(Self, true, false), Self);
        _watchedBy.Clear();
        foreach (var watched in _watching) watched.Tell(new Unwatch(watched, Self));
        _watching.Clear();
        if (Parent is not null) Parent.Tell(new ChildTerminated(Self));
        else System.OnGuardianTerminated();
    }

    private int ChildCount
    {
        get { lock (_childrenGate) return _children.Count; }
    }
}
