using DistGmm.Actors;
using DistGmm.Remoting.Configuration;
using DistGmm.Remoting.Membership;

namespace DistGmm.Cluster.Remote;

/// <summary>
/// The coordinator process: workers on other nodes join its registrar (<c>user/coordinator</c>), and each job plan
/// runs in a fresh <see cref="CoordinatorActor"/> fed with the joined workers' refs — the same actor and plan as the
/// embedded cluster, only the worker refs are remote. Use <see cref="JobRunner"/> in <see cref="ClusterOptions"/> so
/// <see cref="EmbeddedJob"/> train/score/run write the usual run folder.
/// </summary>
public sealed class CoordinatorNode : IAsyncDisposable
{
    /// <summary>The registrar's name under <c>user/</c>: workers address <c>distgmm://&lt;coordinator node&gt;/user/coordinator</c>.</summary>
    public const string RegistrarName = "coordinator";

    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private readonly IActorRef _registrar;
    private int _workers;

    private CoordinatorNode(ClusterNode node, HeartbeatConfig heartbeat, Action<string> log)
    {
        Node = node;
        _registrar = node.System.ActorOf(Props.Create(() => new RegistrarActor(heartbeat, OnWorkersChanged, node.Remote.NodeTerminated, log)),
            RegistrarName);
    }

    public ClusterNode Node { get; }

    /// <summary>Workers that have announced themselves (a worker is counted once per worker id).</summary>
    public int Workers
    {
        get { lock (_gate) return _workers; }
    }

    public static async Task<CoordinatorNode> StartAsync(ClusterConfig config, Action<string>? log = null, CancellationToken ct = default)
    {
        log ??= Console.Error.WriteLine;
        return new(await ClusterNode.StartAsync(config, log, ct).ConfigureAwait(false), config.Heartbeat, log);
    }

    /// <summary>Where job coordinators journal their events (set before running jobs; default: in memory, no resume).</summary>
    public ICoordinatorJournal? Journal { get; set; }

    /// <summary>Membership and fault settings of the jobs this node runs.</summary>
    public CoordinatorSettings Settings { get; set; } = CoordinatorSettings.Default;

    /// <summary>Completes when at least <paramref name="count"/> workers have joined; fails with a clear message after <paramref name="timeout"/>.</summary>
    public async Task WaitForWorkersAsync(int count, TimeSpan timeout, CancellationToken ct = default)
    {
        TaskCompletionSource reached;
        lock (_gate)
        {
            if (_workers >= count) return;
            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
        }
        try
        {
            await reached.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"coordinator '{Node.Name}': only {Workers} of {count} worker(s) joined within {timeout.TotalSeconds:0.#} s " +
                $"(workers must be started with the coordinator node name '{Node.Name}', the same broker and the same cluster secret)");
        }
    }

    /// <summary>Runs a job plan on the joined workers; plug into <see cref="ClusterOptions.JobRunner"/>.</summary>
    public async Task<CoordinatorState> RunJobAsync(JobPlan plan, IJobObserver? observer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        // Workers lost during an earlier plan of the same run (e.g. training) are not waited for: the plan starts with
        // the members there are, and late joiners are rebalanced in.
        if (Workers is var members && members >= 1 && members < plan.ExpectedWorkers) plan = plan with { ExpectedWorkers = members };
        var done = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new CallbackRef($"distgmm://{Node.Name}/client/{plan.JobId}", m =>
        {
            if (m is JobCompleted or JobAborted) done.TrySetResult(m);
        });
        _registrar.Tell(new RegistrarActor.StartJob(plan, client, observer ?? NullJobObserver.Instance, Settings, Journal));
        object result;
        try
        {
            using var cancel = ct.Register(() => done.TrySetCanceled(ct));
            result = await done.Task.ConfigureAwait(false);
        }
        finally
        {
            _registrar.Tell(new RegistrarActor.EndJob(plan.JobId)); // frees the node for the next job, also after a cancel
        }
        return result switch
        {
            JobCompleted c => c.State,
            JobAborted a => throw new JobFailedException(a.JobId, a.Error),
            _ => throw new InvalidOperationException(result.GetType().Name),
        };
    }

    /// <summary>Options that make <see cref="EmbeddedJob"/> run its plans on this node's workers.</summary>
    public ClusterOptions ClusterOptions() => new() { JobRunner = RunJobAsync };

    public ValueTask DisposeAsync() => Node.DisposeAsync();

    private void OnWorkersChanged(int count)
    {
        List<TaskCompletionSource> ready;
        lock (_gate)
        {
            _workers = count;
            ready = [.. _waiters.Where(w => w.Count <= count).Select(w => w.Reached)];
            _waiters.RemoveAll(w => w.Count <= count);
        }
        foreach (var r in ready) r.TrySetResult();
    }

    /// <summary>A ref outside any actor that hands messages to a callback (the job's client).</summary>
    private sealed class CallbackRef(string path, Action<object> onMessage) : IActorRef
    {
        public string Path { get; } = path;
        public void Tell(object message, IActorRef? sender = null) => onMessage(message);
        public override string ToString() => Path;
    }
}

/// <summary>
/// The coordinator node's membership (the Akka.Cluster role, small): admits worker nodes (<see cref="JoinCluster"/>),
/// remembers their worker actors (<see cref="WorkerReady"/>), hears their heartbeats into a phi-accrual failure
/// detector per node, and on each heartbeat tick tells the running job which workers are suspected
/// (<see cref="WorkerSuspected"/>) or dead (<see cref="WorkerDown"/>, then death watch sees the node terminated).
/// A heartbeat from a worker it does not count (after a coordinator restart, or once declared dead) is answered
/// with <c>Known = false</c>, and the worker announces itself again. Hosts one job coordinator at a time as a
/// child, replaying the known workers' WorkerReady to it with the worker as sender, so the job coordinator
/// watches and commands the remote actors directly.
/// </summary>
internal sealed class RegistrarActor(HeartbeatConfig heartbeat, Action<int> onWorkersChanged, Action<string> onNodeDown, Action<string> log) : ActorBase
{
    public sealed record StartJob(JobPlan Plan, IActorRef Client, IJobObserver Observer, CoordinatorSettings Settings, ICoordinatorJournal? Journal);

    public sealed record EndJob(string JobId);

    private sealed record Tick;

    private readonly Dictionary<string, (IActorRef Ref, int Cores)> _workers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _suspected = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deaf = new(StringComparer.Ordinal); // chaos: heartbeats ignored
    private NodeFailureDetectors _detectors = null!;
    private (string JobId, IActorRef Coordinator)? _job;

    protected override void PreStart()
    {
        _detectors = new NodeFailureDetectors(heartbeat, Context.System.Clock);
        Context.Timers.StartPeriodicTimer(typeof(Tick), new Tick(), heartbeat.Interval);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case JoinCluster:
                Sender.Tell(new JoinAccepted(Context.System.Name), Self);
                break;
            case WorkerReady ready:
                _workers[ready.WorkerId] = (Sender, ready.Cores);
                _deaf.Remove(ready.WorkerId);
                _suspected.Remove(ready.WorkerId);
                _detectors.Heartbeat(ready.WorkerId); // monitoring starts with the announcement
                onWorkersChanged(_workers.Count);
                _job?.Coordinator.Tell(ready, Sender); // a new or restarted worker: the running job decides
                break;
            case Heartbeat beat:
                if (_deaf.Contains(beat.NodeName)) break;
                var known = _workers.ContainsKey(beat.NodeName);
                if (known)
                {
                    _detectors.Heartbeat(beat.NodeName);
                    if (_suspected.Remove(beat.NodeName)) log($"membership: worker '{beat.NodeName}' reachable again");
                }
                Sender.Tell(new HeartbeatAck(Context.System.Name, known), Self);
                break;
            case Tick:
                CheckMembers();
                break;
            case IgnoreHeartbeats ignore:
                _deaf.Add(ignore.WorkerId);
                log($"membership: chaos: ignoring heartbeats of '{ignore.WorkerId}'");
                break;
            case StartJob start:
                if (_job is not null)
                {
                    // Refuse instead of throwing: a restart would forget the joined workers.
                    start.Client.Tell(new JobAborted(start.Plan.JobId, $"job {_job.Value.JobId} is still running on this coordinator node (one job at a time)"), Self);
                    break;
                }
                var coordinator = Context.ActorOf(CoordinatorActor.Props(start.Plan, BalancedByRowsPlacement.Instance, start.Client, start.Journal,
                    start.Observer, start.Settings), start.Plan.JobId);
                _job = (start.Plan.JobId, coordinator);
                foreach (var (id, (worker, cores)) in _workers.OrderBy(w => w.Key, StringComparer.Ordinal))
                    coordinator.Tell(new WorkerReady(id, cores), worker);
                break;
            case EndJob end when _job?.JobId == end.JobId:
                Context.Stop(_job.Value.Coordinator);
                _job = null;
                break;
            case EndJob:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void CheckMembers()
    {
        foreach (var node in _detectors.Unreachable())
        {
            if (!_suspected.Add(node)) continue;
            var phi = _detectors.Phi(node);
            var silence = _detectors.Silence(node);
            log(FormattableString.Invariant($"membership: worker '{node}' unreachable (phi {phi:0.0}, silent {silence.TotalSeconds:0.0} s)"));
            _job?.Coordinator.Tell(new WorkerSuspected(node, phi, silence), Self);
        }
        foreach (var node in _detectors.Dead())
        {
            var silence = _detectors.Silence(node);
            _detectors.Remove(node);
            _suspected.Remove(node);
            if (!_workers.Remove(node)) continue;
            log(FormattableString.Invariant($"membership: worker '{node}' declared dead after {silence.TotalSeconds:0.0} s of silence; its shards move"));
            onWorkersChanged(_workers.Count);
            _job?.Coordinator.Tell(new WorkerDown(node, "declared dead by the failure detector", silence), Self);
            onNodeDown(node);
        }
    }
}
