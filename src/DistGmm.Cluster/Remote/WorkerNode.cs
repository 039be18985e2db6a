using System.Diagnostics;
using DistGmm.Actors;
using DistGmm.Remoting.Configuration;

namespace DistGmm.Cluster.Remote;

/// <summary>
/// A worker process: joins the coordinator node (retrying until it answers, bounded), then hosts one
/// <see cref="WorkerActor"/> (<c>user/worker</c>, worker id = node name) that announces itself to the coordinator's
/// registrar, and a <see cref="NodeAgentActor"/> (<c>user/node</c>) that heartbeats to it and announces the worker again
/// when the coordinator no longer counts it (a restarted coordinator, or a false death verdict).
/// </summary>
public sealed class WorkerNode : IAsyncDisposable
{
    private WorkerNode(ClusterNode node, IActorRef worker)
    {
        Node = node;
        Worker = worker;
    }

    public ClusterNode Node { get; }

    public IActorRef Worker { get; }

    /// <param name="coordinatorNode">The coordinator's node name.</param>
    /// <param name="cores">Cores the worker computes on.</param>
    /// <param name="joinTimeout">How long to keep asking the coordinator node to admit this worker.</param>
    /// <param name="retryInterval">Pause between join attempts (the coordinator may start after the workers).</param>
    /// <param name="onChaosKill">What <c>--chaos kill</c> does (default: SIGKILL this process, a real crash).</param>
    public static async Task<WorkerNode> StartAsync(ClusterConfig config, string coordinatorNode, int cores, TimeSpan joinTimeout,
        TimeSpan retryInterval, Action<string>? log = null, CancellationToken ct = default, Action? onChaosKill = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        log ??= Console.Error.WriteLine;
        var node = await ClusterNode.StartAsync(config, log, ct).ConfigureAwait(false);
        try
        {
            var registrar = node.Remote.ActorFor(coordinatorNode, "user/" + CoordinatorNode.RegistrarName);
            var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var joiner = node.System.ActorOf(Props.Create(() => new JoinerActor(accepted)), "joiner");
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(joinTimeout);
            log($"worker '{node.Name}': joining coordinator node '{coordinatorNode}' (up to {joinTimeout.TotalSeconds:0.#} s)");
            try
            {
                while (!accepted.Task.IsCompleted)
                {
                    registrar.Tell(new JoinCluster(node.Name), joiner);
                    // Retrying is the protocol here (the coordinator may not be up yet), not synchronisation.
                    await Task.WhenAny(accepted.Task, Task.Delay(retryInterval, deadline.Token)).ConfigureAwait(false);
                    deadline.Token.ThrowIfCancellationRequested();
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"worker '{node.Name}': coordinator node '{coordinatorNode}' did not answer within {joinTimeout.TotalSeconds:0.#} s " +
                    "(is it started, on the same broker, with the same cluster secret?)");
            }
            node.System.Stop(joiner);
            var kill = onChaosKill ?? (() => Process.GetCurrentProcess().Kill());
            // Scoring reuses the shards training loaded (same dataset and preprocessor), as in an embedded run; the price
            // is that an idle worker keeps the last dataset's shards until a job reads another one.
            var shards = new ReusingShardSource(new DatasetShardSource());
            var worker = node.System.ActorOf(WorkerActor.Props(registrar, new WorkerOptions(node.Name, cores, shards, BeforeCommand: (_, m) =>
            {
                if (m is not ChaosKill chaos) return;
                log($"worker '{node.Name}': killed by {chaos.Reason}");
                kill();
            })), "worker");
            var heartbeat = config.Heartbeat;
            node.System.ActorOf(Props.Create(() => new NodeAgentActor(registrar, worker, node.Name, cores, heartbeat, log)), "node");
            log($"worker '{node.Name}': joined '{coordinatorNode}' ({cores} core(s))");
            return new WorkerNode(node, worker);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => Node.DisposeAsync();

    private sealed class JoinerActor(TaskCompletionSource accepted) : ActorBase
    {
        protected override void OnReceive(object message)
        {
            if (message is JoinAccepted) accepted.TrySetResult();
            else Unhandled(message);
        }
    }
}

/// <summary>
/// A worker node's link to the coordinator: a heartbeat every interval; when the coordinator answers that it does not
/// count this worker (it restarted, or declared the worker dead), the worker announces itself again with
/// <see cref="WorkerReady"/> sent on the worker actor's behalf. Logs when the coordinator falls silent and comes back.
/// </summary>
internal sealed class NodeAgentActor(IActorRef registrar, IActorRef worker, string workerId, int cores, HeartbeatConfig heartbeat,
    Action<string> log) : ActorBase
{
    private sealed record Tick;

    private DateTimeOffset _lastAck;
    private DateTimeOffset _lastRejoin = DateTimeOffset.MinValue;
    private bool _coordinatorSilent;

    protected override void PreStart()
    {
        _lastAck = Context.System.Clock.GetUtcNow();
        Context.Timers.StartPeriodicTimer(typeof(Tick), new Tick(), heartbeat.Interval);
    }

    protected override void OnReceive(object message)
    {
        var now = Context.System.Clock.GetUtcNow();
        switch (message)
        {
            case Tick:
                registrar.Tell(new Heartbeat(workerId), Self);
                if (!_coordinatorSilent && now - _lastAck > heartbeat.DeadAfter)
                {
                    _coordinatorSilent = true;
                    log($"worker '{workerId}': coordinator silent for {(now - _lastAck).TotalSeconds:0} s; still heartbeating, will re-join when it answers");
                }
                break;
            case HeartbeatAck ack:
                _lastAck = now;
                if (_coordinatorSilent)
                {
                    _coordinatorSilent = false;
                    log($"worker '{workerId}': coordinator '{ack.CoordinatorNode}' answers again");
                }
                // At most one re-announcement per heartbeat interval: acks already in flight say "unknown" too.
                if (!ack.Known && now - _lastRejoin >= heartbeat.Interval)
                {
                    _lastRejoin = now;
                    log($"worker '{workerId}': coordinator '{ack.CoordinatorNode}' does not count this worker; announcing it again");
                    registrar.Tell(new WorkerReady(workerId, cores), worker);
                }
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
