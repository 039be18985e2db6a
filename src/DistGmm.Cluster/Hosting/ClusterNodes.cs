using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;

namespace DistGmm.Cluster.Hosting;

/// <summary>
/// A coordinator-role cluster member. Its <see cref="JobHostActor"/> runs as the cluster singleton (Akka.Cluster.Tools)
/// on role <c>coordinator</c>: one cluster never runs two job hosts. Every coordinator-role node runs the same command;
/// the oldest hosts the singleton and the others stand by; when it is removed the next one takes over, and its job
/// coordinator recovers from the shared journal. <see cref="WhenActiveAsync"/> completes once this node hosts it.
/// </summary>
public sealed class CoordinatorNode : IAsyncDisposable
{
    public const string HostName = "job-host";

    private readonly TaskCompletionSource _active = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IActorRef _host;
    private readonly HealthEndpoint? _health;

    private CoordinatorNode(ClusterNodeConfig config)
    {
        Config = config;
        Settings = CoordinatorSettings.Default with { ShardReplicas = config.ShardReplicas };
        System = ActorSystem.Create(ClusterNodeConfig.SystemName, config.CreateSetup());
        _health = HealthEndpoint.StartFromConfig(System, config.Config);
        Akka.Cluster.Cluster.Get(System).RegisterOnMemberUp(() => _up.TrySetResult());
        var hostProps = JobHostActor.Props(new WorkerProvisioning.ClusterMembers(ClusterNodeConfig.WorkerRole, () => _active.TrySetResult()));
        System.ActorOf(ClusterSingletonManager.Props(hostProps, PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(System).WithRole(ClusterNodeConfig.CoordinatorRole)), HostName);
        _host = System.ActorOf(ClusterSingletonProxy.Props($"/user/{HostName}",
            ClusterSingletonProxySettings.Create(System).WithRole(ClusterNodeConfig.CoordinatorRole)), HostName + "-proxy");
    }

    public ClusterNodeConfig Config { get; }

    public ActorSystem System { get; }

    public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;

    public static CoordinatorNode Start(ClusterNodeConfig config) => new(config);

    /// <summary>Whether this node's own address is one of its seed nodes (only the first seed node forms a cluster by itself).</summary>
    public bool IsSeedNode => Config.SeedNodes.Any(seed => SameAddress(seed, Address));

    /// <summary>
    /// Completes when this node is Up in the cluster. Akka retries a join forever, so without a bound a coordinator
    /// that no seed node admits would wait silently for good: after <paramref name="timeout"/> it is a clear error.
    /// </summary>
    public async Task WhenUpAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await _up.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"coordinator '{Config.NodeName}': did not join the cluster within {timeout.TotalSeconds:0.#} s " +
                $"(seed nodes tried: {string.Join(", ", Config.SeedNodes)}); {JoinFailureCause()}", ex);
        }
    }

    /// <summary>The likely reason no seed node admitted this node, from where its own address stands in the seed list.</summary>
    private string JoinFailureCause()
    {
        var seeds = Config.SeedNodes;
        if (seeds.Count == 0) return "no seed nodes are configured (akka.cluster.seed-nodes or --seed-nodes)";
        if (SameAddress(seeds[0], Address))
            return $"this node ({Address}) is the first seed node and forms the cluster by itself once no other seed node answers within " +
                "akka.cluster.seed-node-timeout; another seed node may have refused it (TLS), or the wait is shorter than that timeout";
        var where = IsSeedNode ? "is not the first seed node" : "is not among the seed nodes";
        return $"no seed node is running, or none admitted this node; this node's own address ({Address}) {where}, so it cannot form the cluster " +
            $"by itself: start the seed node {seeds[0]} first, or list this node's address first";
    }

    private static bool SameAddress(string seed, Address self)
    {
        try { return Address.Parse(seed).Equals(self); }
        catch (UriFormatException) { return false; }
    }

    /// <summary>Completes when the job host (the cluster singleton) runs on this node.</summary>
    public Task WhenActiveAsync(CancellationToken ct) => _active.Task.WaitAsync(ct);

    /// <summary>Completes when at least <paramref name="count"/> workers are known; a clear error after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForWorkersAsync(int count, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            var available = await _host.Ask<WorkersAvailable>(new WaitForWorkers(count), timeout, ct).ConfigureAwait(false);
            return available.Count;
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"coordinator '{Config.NodeName}': fewer than {count} worker(s) joined within {timeout.TotalSeconds:0.#} s " +
                $"(workers must list a seed node of this cluster, {string.Join(", ", Config.SeedNodes)}, and use the same TLS settings)", ex);
        }
    }

    /// <summary>Runs a job plan on the cluster's workers; plug into <see cref="ClusterOptions.JobRunner"/>.</summary>
    public async Task<CoordinatorState> RunJobAsync(JobPlan plan, IJobObserver? observer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        try
        {
            var result = await _host.Ask<object>(new StartJob(plan, observer ?? NullJobObserver.Instance, Settings), ct).ConfigureAwait(false);
            return result switch
            {
                JobCompleted c => c.State,
                JobAborted a => throw new JobFailedException(a.JobId, a.Error),
                _ => throw new InvalidOperationException(result.GetType().Name),
            };
        }
        finally
        {
            _host.Tell(new EndJob(plan.JobId)); // frees the host for the next plan, also after a cancel
        }
    }

    /// <summary>Membership, fault and work-stealing settings of the jobs this node runs (replicas from its config).</summary>
    public CoordinatorSettings Settings { get; set; }

    /// <summary>Options that make <see cref="EmbeddedJob"/> run its plans on the cluster's workers.</summary>
    public ClusterOptions ClusterOptions() => new() { JobRunner = RunJobAsync };

    /// <summary>Leaves the cluster gracefully (the singleton hands over to a standby, if any) and stops the system.</summary>
    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).ConfigureAwait(false);
        if (_health is not null) await _health.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// A worker-role cluster member: hosts one <see cref="WorkerActor"/> at <c>/user/worker</c> (worker id = node name),
/// which the coordinator finds when the member is up. When the cluster downs this node (the split-brain resolver
/// after it was unreachable too long, or a coordinator-less side downing itself) that incarnation is over for good:
/// the node starts a new actor system (a new incarnation, new UID) and joins the seed nodes again, so a restarted
/// coordinator finds it. With no coordinator-role member for <c>distgmm.worker.rejoin-after</c>, it does the same.
/// </summary>
public static class WorkerNode
{
    /// <summary>Pause before a new attempt when an incarnation was never admitted to the cluster.</summary>
    private static readonly TimeSpan RetryJoinAfter = TimeSpan.FromSeconds(5);

    /// <summary>Runs until <paramref name="ct"/> is cancelled (then leaves the cluster gracefully).</summary>
    /// <param name="onChaosKill">What <c>--chaos kill</c> does (default: SIGKILL this process, a real crash).</param>
    public static async Task RunAsync(ClusterNodeConfig config, int cores, Action<string> log, CancellationToken ct, Action? onChaosKill = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        var rejoinAfter = config.RejoinAfter;
        // Scoring reuses the shards training loaded (same dataset and preprocessor), across incarnations too.
        var shards = new ReusingShardSource(new DatasetShardSource());
        var kill = onChaosKill ?? (() => Process.GetCurrentProcess().Kill());
        using var compute = new DistGmm.Numerics.ChunkPool(cores);
        for (var incarnation = 1; !ct.IsCancellationRequested; incarnation++)
        {
            var system = ActorSystem.Create(ClusterNodeConfig.SystemName, config.CreateSetup());
            await using var health = HealthEndpoint.StartFromConfig(system, config.Config);
            var cluster = Akka.Cluster.Cluster.Get(system);
            var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var orphaned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(WorkerActor.Props(new CoordinatorLink(), new WorkerOptions(config.NodeName, cores, shards,
                OnChaosKill: reason => { log($"worker '{config.NodeName}': killed by {reason}"); kill(); }, Compute: compute)), JobHostActor.WorkerActorName);
            system.ActorOf(Props.Create(() => new CoordinatorPresenceActor(rejoinAfter, orphaned)), "coordinator-presence");
            // One line per command: which shards and passes this worker computes.
            var progress = system.ActorOf(Props.Create(() => new ProgressLinesActor(log)), "progress-lines");
            system.EventStream.Subscribe(progress, typeof(WorkerProgress));
            var wasUp = 0;
            cluster.RegisterOnMemberUp(() =>
            {
                Volatile.Write(ref wasUp, 1);
                // The kernel path says which vector width this worker computes with (a mixed cluster gives the same bits).
                log($"worker '{config.NodeName}': member of the cluster at {cluster.SelfAddress} ({cores} core(s); kernels {DistGmm.Numerics.KernelPath.Describe()})");
            });
            cluster.RegisterOnMemberRemoved(() => removed.TrySetResult());
            log($"worker '{config.NodeName}': joining {string.Join(", ", config.SeedNodes)} (incarnation {incarnation})");
            var stop = Task.Delay(Timeout.Infinite, ct);
            var first = await Task.WhenAny(stop, removed.Task, orphaned.Task).ConfigureAwait(false);
            if (first == orphaned.Task)
            {
                log($"worker '{config.NodeName}': no coordinator in the cluster for {rejoinAfter.TotalSeconds:0} s; leaving to join the seed nodes again");
                await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).ConfigureAwait(false);
            }
            else if (first == removed.Task && Volatile.Read(ref wasUp) == 1)
            {
                log($"worker '{config.NodeName}': removed from the cluster (downed); this incarnation is over, joining again as a new one");
                await system.Terminate().ConfigureAwait(false);
            }
            else if (first == removed.Task)
            {
                // Never admitted (e.g. the seed node refused our TLS certificate): try again, not in a tight loop.
                log($"worker '{config.NodeName}': could not join {string.Join(", ", config.SeedNodes)}; trying again in {RetryJoinAfter.TotalSeconds:0} s");
                await system.Terminate().ConfigureAwait(false);
                try { await Task.Delay(RetryJoinAfter, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
            else
            {
                log($"worker '{config.NodeName}': leaving the cluster");
                await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).ConfigureAwait(false);
                return;
            }
            await system.WhenTerminated.ConfigureAwait(false);
        }
    }

    /// <summary>Prints each <see cref="WorkerProgress"/> of this node's worker as one line.</summary>
    private sealed class ProgressLinesActor : ReceiveActor
    {
        public ProgressLinesActor(Action<string> log) => Receive<WorkerProgress>(p => log(p.ToString()));
    }

    /// <summary>Completes <c>orphaned</c> when no coordinator-role member has been up for <c>rejoinAfter</c>.</summary>
    private sealed class CoordinatorPresenceActor : ReceiveActor, IWithTimers
    {
        private sealed class Check
        {
            public static readonly Check Instance = new();
        }

        private readonly HashSet<Address> _coordinators = [];
        private readonly TimeSpan _rejoinAfter;

        public CoordinatorPresenceActor(TimeSpan rejoinAfter, TaskCompletionSource orphaned)
        {
            _rejoinAfter = rejoinAfter;
            Receive<ClusterEvent.MemberUp>(up =>
            {
                if (!up.Member.HasRole(ClusterNodeConfig.CoordinatorRole)) return;
                _coordinators.Add(up.Member.Address);
                Timers.Cancel(Check.Instance);
            });
            Receive<ClusterEvent.MemberRemoved>(removed =>
            {
                if (_coordinators.Remove(removed.Member.Address) && _coordinators.Count == 0)
                    Timers.StartSingleTimer(Check.Instance, Check.Instance, _rejoinAfter);
            });
            Receive<ClusterEvent.IMemberEvent>(_ => { });
            Receive<Check>(_ =>
            {
                if (_coordinators.Count == 0) orphaned.TrySetResult();
            });
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}
