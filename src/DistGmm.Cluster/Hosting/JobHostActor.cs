using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Pattern;
using DistGmm.Numerics;

namespace DistGmm.Cluster.Hosting;

/// <summary>Run a job plan; the sender is the client that gets <see cref="JobCompleted"/> or <see cref="JobAborted"/>.</summary>
/// <param name="Placement">Shard placement (default: balanced by rows); results do not depend on it.</param>
public sealed record StartJob(JobPlan Plan, IJobObserver Observer, CoordinatorSettings Settings, IShardPlacement? Placement = null)
    : INoSerializationVerificationNeeded;

/// <summary>Stop the job's coordinator (after it finished, or when the client gave up).</summary>
public sealed record EndJob(string JobId) : INoSerializationVerificationNeeded;

/// <summary>Answered with <see cref="WorkersAvailable"/> once at least <paramref name="Count"/> workers are known.</summary>
public sealed record WaitForWorkers(int Count) : INoSerializationVerificationNeeded;

public sealed record WorkersAvailable(int Count) : INoSerializationVerificationNeeded;

/// <summary>How a host gets its workers.</summary>
public abstract record WorkerProvisioning
{
    /// <summary>An embedded run: <paramref name="Count"/> worker actors created as children of the host.</summary>
    public sealed record Children(int Count, int CoresPerWorker, IShardSource? Source, Action<string, object>? FaultHook) : WorkerProvisioning;

    /// <summary>Cluster mode: the worker actor (<c>/user/worker</c>) of every member with role <paramref name="Role"/>.</summary>
    /// <param name="OnActive">Called when this host starts: on a coordinator node, the cluster singleton is here now.</param>
    public sealed record ClusterMembers(string Role, Action? OnActive = null) : WorkerProvisioning;
}

/// <summary>
/// Knows the workers and hosts one job coordinator at a time. The coordinator runs under Akka's
/// <see cref="BackoffSupervisor"/>: when its journal fails it stops, and is started again after a growing pause; it
/// recovers from the journal and tells the host (<see cref="CoordinatorRecovered"/>), which introduces every known worker
/// to it (a <see cref="WorkerReady"/> sent with the worker as sender). Workers come from the host's own children
/// (embedded) or from Akka cluster membership: <c>MemberUp</c> of a worker-role member → the worker actor is asked to
/// identify itself; <c>UnreachableMember</c>/<c>ReachableMember</c> → suspected/reachable; <c>MemberRemoved</c> (after
/// the split-brain resolver downed it, or it left) → the worker is down and its shards move.
/// </summary>
public sealed class JobHostActor : ReceiveActor
{
    /// <summary>The worker actor's name under <c>/user</c> on a worker node.</summary>
    public const string WorkerActorName = "worker";

    private readonly WorkerProvisioning _provisioning;
    private readonly Dictionary<string, (IActorRef Ref, int Cores)> _workers = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private (string JobId, IActorRef Supervisor, IActorRef Client)? _job;
    // Until the job's coordinator has recovered (and asked for the workers), a worker's WorkerReady is only recorded:
    // the replay on CoordinatorRecovered introduces it, and forwarding it too would look like a worker restart.
    private bool _coordinatorRecovered;
    private Akka.Cluster.Cluster? _cluster;
    private ChunkPool? _compute;
    private readonly List<(IActorRef Waiter, int Count)> _waiters = [];
    private readonly HashSet<string> _counted = new(StringComparer.Ordinal); // cluster: the members the running job's plan counted

    public JobHostActor(WorkerProvisioning provisioning)
    {
        _provisioning = provisioning;
        Receive<StartJob>(OnStartJob);
        Receive<EndJob>(end =>
        {
            if (_job?.JobId != end.JobId) return;
            Context.Unwatch(_job.Value.Supervisor);
            Context.Stop(_job.Value.Supervisor);
            _job = null;
        });
        Receive<WorkerReady>(ready =>
        {
            if (!_workers.ContainsKey(ready.WorkerId)) _log.Info("worker {0} ({1} cores) joined", ready.WorkerId, ready.Cores);
            _workers[ready.WorkerId] = (Sender, ready.Cores);
            Context.Watch(Sender);
            foreach (var waiter in _waiters.Where(w => w.Count <= _workers.Count).ToList())
            {
                waiter.Waiter.Tell(new WorkersAvailable(_workers.Count));
                _waiters.Remove(waiter);
            }
            if (_coordinatorRecovered) _job?.Supervisor.Forward(ready); // a new or restarted worker: the running job decides
        });
        Receive<WaitForWorkers>(wait =>
        {
            if (_workers.Count >= wait.Count) Sender.Tell(new WorkersAvailable(_workers.Count));
            else _waiters.Add((Sender, wait.Count));
        });
        Receive<CoordinatorRecovered>(recovered =>
        {
            if (_job?.JobId != recovered.JobId) return;
            _coordinatorRecovered = true;
            foreach (var (id, (worker, cores)) in _workers.OrderBy(w => w.Key, StringComparer.Ordinal))
                Sender.Tell(new WorkerReady(id, cores), worker);
        });
        Receive<DownWorkerNode>(down =>
        {
            if (_cluster is { } cluster && !down.Worker.Path.Address.Equals(cluster.SelfAddress))
            {
                _log.Warning("chaos: downing worker node {0} ({1})", down.WorkerId, down.Worker.Path.Address);
                cluster.Down(down.Worker.Path.Address);
            }
            else
            {
                Context.Stop(down.Worker); // embedded: the worker is our child
            }
        });
        Receive<Terminated>(terminated =>
        {
            if (_job is { } job && job.Supervisor.Equals(terminated.ActorRef))
            {
                // The backoff supervisor gave up (the journal kept failing): the client must not wait forever.
                job.Client.Tell(new JobAborted(job.JobId, "the coordinator stopped for good after repeated journal failures"));
                _job = null;
                return;
            }
            foreach (var id in _workers.Where(w => w.Value.Ref.Equals(terminated.ActorRef)).Select(w => w.Key).ToList())
                _workers.Remove(id);
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (!IsWorker(up.Member)) return;
            _log.Info("worker-role member up: {0}", up.Member.Address);
            Context.ActorSelection(new RootActorPath(up.Member.Address) / "user" / WorkerActorName)
                .Tell(new IdentifyWorker(_cluster!.SelfAddress.ToString()), Self);
        });
        Receive<ClusterEvent.UnreachableMember>(unreachable =>
        {
            if (WorkerAt(unreachable.Member.Address) is { } id) _job?.Supervisor.Tell(new WorkerSuspected(id));
        });
        Receive<ClusterEvent.ReachableMember>(reachable =>
        {
            if (WorkerAt(reachable.Member.Address) is { } id) _job?.Supervisor.Tell(new WorkerReachable(id));
        });
        Receive<ClusterEvent.MemberDowned>(downed =>
        {
            if (WorkerAt(downed.Member.Address) is { } id) _job?.Supervisor.Tell(new WorkerNodeDowned(id));
        });
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (WorkerAt(removed.Member.Address) is not { } id) return;
            _workers.Remove(id);
            _job?.Supervisor.Tell(new WorkerDown(id, $"node removed from the cluster (previous status {removed.PreviousStatus})"));
            // The plan counted it; the coordinator may not have met it yet (it was recovering), so it must not wait for it.
            if (_counted.Remove(id)) _job?.Supervisor.Tell(new CountedWorkerRemoved(id));
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
    }

    public static Props Props(WorkerProvisioning provisioning) => Akka.Actor.Props.Create(() => new JobHostActor(provisioning));

    /// <summary>Workers crash-looping more than this within a minute are stopped (their shards move to the others).</summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(10, TimeSpan.FromMinutes(1), Akka.Actor.SupervisorStrategy.DefaultDecider);

    protected override void PreStart()
    {
        switch (_provisioning)
        {
            case WorkerProvisioning.Children children:
                // The workers of one process share its cores: one set of compute threads (no more than the cores), so
                // a worker that finishes its part of a pass first lends its core to the others.
                _compute = new ChunkPool(Math.Min(children.Count * children.CoresPerWorker, Environment.ProcessorCount));
                for (var w = 0; w < children.Count; w++)
                {
                    var id = $"worker-{w}";
                    Context.ActorOf(WorkerActor.Props(new CoordinatorLink(Self), new WorkerOptions(id, children.CoresPerWorker, children.Source,
                        children.FaultHook, Compute: _compute)), id);
                }
                break;
            case WorkerProvisioning.ClusterMembers members:
                _cluster = Akka.Cluster.Cluster.Get(Context.System);
                _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                    typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
                members.OnActive?.Invoke();
                break;
        }
    }

    protected override void PostStop()
    {
        _cluster?.Unsubscribe(Self);
        _compute?.Dispose(); // the children have stopped before their parent
    }

    private bool IsWorker(Member member) =>
        _provisioning is WorkerProvisioning.ClusterMembers { Role: var role } && member.HasRole(role);

    private string? WorkerAt(Address address) =>
        _workers.FirstOrDefault(w => w.Value.Ref.Path.Address.Equals(address)).Key;

    private void OnStartJob(StartJob start)
    {
        if (_job is not null)
        {
            // Refuse instead of throwing: a restart would forget the known workers.
            Sender.Tell(new JobAborted(start.Plan.JobId, $"job {_job.Value.JobId} is still running on this coordinator (one job at a time)"));
            return;
        }
        var plan = start.Plan;
        // Cluster mode: workers lost in an earlier plan of the run are not waited for; late joiners are rebalanced in.
        if (_cluster is not null && _workers.Count >= 1 && _workers.Count < plan.ExpectedWorkers) plan = plan with { ExpectedWorkers = _workers.Count };
        _counted.Clear();
        if (_cluster is not null) _counted.UnionWith(_workers.Keys);
        var coordinator = CoordinatorActor.Props(plan, start.Placement ?? BalancedByRowsPlacement.Instance, Sender, Self, start.Observer, start.Settings);
        // A journal failure stops the coordinator (Akka.Persistence's rule); the supervisor starts it again after 0.2 s,
        // 0.4 s, … up to 10 s, and it recovers from the journal.
        var supervisor = Context.ActorOf(BackoffSupervisor.Props(Backoff.OnStop(coordinator, "coordinator",
            TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2, maxNrOfRetries: 20)), Uri.EscapeDataString(start.Plan.JobId));
        Context.Watch(supervisor);
        _job = (start.Plan.JobId, supervisor, Sender);
        _coordinatorRecovered = false;
    }
}
