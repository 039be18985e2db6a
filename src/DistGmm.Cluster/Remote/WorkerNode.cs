using DistGmm.Actors;
using DistGmm.Remoting.Configuration;

namespace DistGmm.Cluster.Remote;

/// <summary>
/// A worker process: joins the coordinator node (retrying until it answers, bounded), then hosts one
/// <see cref="WorkerActor"/> (<c>user/worker</c>, worker id = node name) that announces itself to the coordinator's registrar.
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
    public static async Task<WorkerNode> StartAsync(ClusterConfig config, string coordinatorNode, int cores, TimeSpan joinTimeout,
        TimeSpan retryInterval, Action<string>? log = null, CancellationToken ct = default)
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
            var worker = node.System.ActorOf(WorkerActor.Props(registrar, new WorkerOptions(node.Name, cores)), "worker");
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
