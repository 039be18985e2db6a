using DistGmm.Cluster;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cluster.Tests;

public sealed class CoordinatorStateTests
{
    private static readonly DataMatrix[] Shards = Synthetic.Shards();

    /// <summary>Plays perfect workers against the pure state machine; results arrive in <paramref name="arrival"/> order.</summary>
    internal static (CoordinatorState State, List<CoordinatorEvent> Journal) Drive(JobPlan plan, IReadOnlyList<int>? arrival = null)
    {
        var journal = new List<CoordinatorEvent>();
        var state = CoordinatorState.Initial(plan);
        CoordinatorState Apply(CoordinatorEvent e)
        {
            if (e is IJournaledEvent) journal.Add(e);
            return state = state.Apply(e);
        }
        Apply(new WorkerJoined("w0"));
        Apply(new ShardsPlaced([.. Enumerable.Repeat("w0", Shards.Length)]));
        arrival ??= [.. Enumerable.Range(0, Shards.Length)];
        foreach (var s in arrival) Apply(new ShardLoadConfirmed(s, Shards[s].Rows, Shards[s].Cols));
        while (state.Stage == JobStage.Training)
        {
            var pass = state.CurrentPass!;
            foreach (var s in arrival)
            {
                var result = PartitionCompute.Compute(pass, Shards[s], state.GlobalRowOffset(s), 1);
                Apply(new ShardResultAccepted(pass.PassNumber, s, PassResult.FromBytes(result.ToBytes())));
            }
            Apply(new PassCompleted(pass.PassNumber, state.MergePending().ToBytes()));
        }
        return (state, journal);
    }

    [Fact]
    public void Driving_the_state_machine_equals_the_single_process_fitter_bit_for_bit()
    {
        var (state, _) = Drive(Synthetic.TrainPlan(Shards, 1));
        Assert.Equal(JobStage.Completed, state.Stage);
        var expected = GaussianMixtureFitter.Fit(Shards, Synthetic.Options(), 1);
        var actual = state.BestFit!;
        Assert.Equal(expected.Model.ToBytes(), actual.Model.ToBytes());
        Assert.Equal(expected.Iterations, actual.Iterations);
        Assert.Equal(expected.LowerBound, actual.LowerBound);
        Assert.Equal(expected.MeanLogLikelihood, actual.MeanLogLikelihood);
        Assert.True(actual.Converged);
    }

    [Fact]
    public void Arrival_order_does_not_change_the_model()
    {
        var inOrder = Drive(Synthetic.TrainPlan(Shards, 1)).State.BestFit!;
        var shuffled = Drive(Synthetic.TrainPlan(Shards, 1), [5, 2, 7, 0, 3, 6, 1, 4]).State.BestFit!;
        Assert.Equal(inOrder.Model.ToBytes(), shuffled.Model.ToBytes());
    }

    [Fact]
    public void Duplicate_and_stale_results_leave_the_state_unchanged()
    {
        var state = CoordinatorState.Initial(Synthetic.TrainPlan(Shards, 1))
            .Apply(new WorkerJoined("w0"))
            .Apply(new ShardsPlaced([.. Enumerable.Repeat("w0", Shards.Length)]));
        for (var s = 0; s < Shards.Length; s++) state = state.Apply(new ShardLoadConfirmed(s, Shards[s].Rows, 2));
        var pass = state.CurrentPass!;
        var result = PartitionCompute.Compute(pass, Shards[0], 0, 1);
        state = state.Apply(new ShardResultAccepted(pass.PassNumber, 0, result));

        Assert.False(state.AcceptsPassResult(pass.PassNumber, 0));
        Assert.Same(state, state.Apply(new ShardResultAccepted(pass.PassNumber, 0, result)));       // duplicate
        Assert.Same(state, state.Apply(new ShardResultAccepted(pass.PassNumber - 1, 1, result)));   // stale pass
        Assert.Same(state, state.Apply(new ShardResultAccepted(pass.PassNumber + 1, 1, result)));   // future pass
        Assert.Same(state, state.Apply(new ShardResultAccepted(pass.PassNumber, 99, result)));      // no such shard
        Assert.Same(state, state.Apply(new ShardLoadConfirmed(3, 1, 2)));                           // already loaded
        Assert.Same(state, state.Apply(new PassCompleted(pass.PassNumber + 5, [])));                // not the current pass
        Assert.Equal(Shards.Length - 1, state.MissingShards.Count);
    }

    [Fact]
    public void Replaying_the_journal_rebuilds_the_same_state()
    {
        var plan = Synthetic.TrainPlan(Shards, 1);
        var (live, events) = Drive(plan);

        var replayed = CoordinatorState.Initial(plan);
        foreach (var e in events) replayed = replayed.Apply(e);

        Assert.Equal(JobStage.Completed, replayed.Stage);
        Assert.Equal(live.BestFit!.Model.ToBytes(), replayed.BestFit!.Model.ToBytes());
        Assert.Equal(live.BestFit.LowerBoundHistory, replayed.BestFit.LowerBoundHistory);
        Assert.All(events, e => Assert.IsAssignableFrom<IJournaledEvent>(e));
        Assert.Contains(events, e => e is PassCompleted);
    }

    [Fact]
    public void A_lost_worker_hands_its_shards_to_survivors_who_get_load_and_pass_commands()
    {
        var plan = Synthetic.TrainPlan(Shards, 2);
        var state = CoordinatorState.Initial(plan).Apply(new WorkerJoined("w0")).Apply(new WorkerJoined("w1"));
        var owners = BalancedByRowsPlacement.Instance.Place(plan.ShardRowsHint, state.Workers);
        state = state.Apply(new ShardsPlaced(owners));
        for (var s = 0; s < Shards.Length; s++) state = state.Apply(new ShardLoadConfirmed(s, Shards[s].Rows, 2));
        var pass = state.CurrentPass!;
        foreach (var s in state.ShardsOf("w0"))
            state = state.Apply(new ShardResultAccepted(pass.PassNumber, s, PartitionCompute.Compute(pass, Shards[s], state.GlobalRowOffset(s), 1)));
        var w1Shards = state.ShardsOf("w1");

        state = state.Apply(new WorkerLost("w1", "terminated"));

        Assert.Equal(["w0"], state.Workers);
        Assert.All(state.Owners, o => Assert.Equal("w0", o));
        var commands = state.CommandsFor("w0", includeLoad: true);
        var load = Assert.IsType<LoadShards>(commands[0]);
        Assert.Equal(Enumerable.Range(0, Shards.Length), load.Shards);
        var compute = Assert.IsType<ComputePass>(commands[1]);
        Assert.Equal(pass.PassNumber, compute.PassNumber);
        Assert.Equal(w1Shards, compute.Shards.Select(s => s.Shard));
        Assert.All(compute.Shards, s => Assert.Equal(Shards.Take(s.Shard).Sum(m => (long)m.Rows), s.GlobalRowOffset));

        // The last worker lost: the job does not fail by itself (the host decides how long to wait); the shards are
        // orphaned until someone joins, and a newcomer takes them all.
        var empty = state.Apply(new WorkerLost("w0", "terminated"));
        Assert.Equal(JobStage.Training, empty.Stage);
        Assert.Empty(empty.Workers);
        Assert.Equal(Enumerable.Range(0, Shards.Length), empty.OrphanShards);
        var joined = empty.Apply(new WorkerJoined("w2"));
        var adopted = joined.Apply(new ShardsPlaced(PlacementExtensions.AssignOrphans(joined.Owners, plan.ShardRowsHint, joined.Workers)));
        Assert.Empty(adopted.OrphanShards);
        Assert.All(adopted.Owners, o => Assert.Equal("w2", o));
        var resent = Assert.IsType<ComputePass>(adopted.CommandsFor("w2", includeLoad: true)[1]);
        Assert.Equal(pass.PassNumber, resent.PassNumber);
        Assert.Equal(w1Shards, resent.Shards.Select(s => s.Shard)); // w0's results of this pass still count

        // Membership over the job, as summary.json reports it: three took part, two at the start, one at the end, two losses.
        Assert.Equal(new WorkerCounts(3, 2, 1, 2), WorkerCounts.Of(adopted));
        Assert.Equal(new WorkerCounts(2, 2, 1, 1), WorkerCounts.Of(state));
    }

    [Fact]
    public void Worker_counts_of_a_run_span_its_training_and_scoring_jobs_and_reach_summary_json()
    {
        var plan = Synthetic.TrainPlan(Shards, 2);
        var train = CoordinatorState.Initial(plan).Apply(new WorkerJoined("w0")).Apply(new WorkerJoined("w1"));
        train = train.Apply(new ShardsPlaced(BalancedByRowsPlacement.Instance.Place(plan.ShardRowsHint, train.Workers)))
            .Apply(new WorkerLost("w1", "node removed from the cluster"));
        // The scoring job only meets the survivor; a worker that rejoins under its old id is still one worker.
        var score = CoordinatorState.Initial(plan with { ExpectedWorkers = 1 }).Apply(new WorkerJoined("w0"));
        score = score.Apply(new ShardsPlaced([.. Enumerable.Repeat("w0", Shards.Length)])).Apply(new WorkerJoined("w1"));
        var counts = WorkerCounts.Of(train, score);
        Assert.Equal(new WorkerCounts(2, 2, 2, 1), counts);
        Assert.Equal("2 (2 at start, 2 at end, 1 lost)", counts.ToString());
        Assert.Equal("2", new WorkerCounts(2, 2, 2, 0).ToString());

        var json = System.Text.Json.Nodes.JsonNode.Parse(new RunSummary(10, 1, -5, "mean-2std", 0, 1, 0, 3, true, 2, CovarianceType.Full,
            2, null, 1, null) { WorkerCounts = new WorkerCounts(2, 2, 1, 1) }.ToJson())!;
        Assert.Equal((2, 2, 1, 1), (json["workers"]!.GetValue<int>(), json["workersAtStart"]!.GetValue<int>(),
            json["workersAtEnd"]!.GetValue<int>(), json["workersLost"]!.GetValue<int>()));
    }

    [Fact]
    public void Shards_that_disagree_on_features_fail_the_job()
    {
        var state = CoordinatorState.Initial(Synthetic.TrainPlan(Shards[..2], 1))
            .Apply(new WorkerJoined("w0")).Apply(new ShardsPlaced(["w0", "w0"]))
            .Apply(new ShardLoadConfirmed(0, 10, 2)).Apply(new ShardLoadConfirmed(1, 10, 3));
        Assert.Equal(JobStage.Failed, state.Stage);
        Assert.Contains("disagree on the feature count", state.Error);
    }

    [Fact]
    public void K_candidates_are_fitted_in_turn_and_the_lowest_BIC_wins()
    {
        var plan = Synthetic.TrainPlan(Shards, 1, Synthetic.Options(1), Synthetic.Options(3), Synthetic.Options(5));
        var (state, _) = Drive(plan);
        Assert.Equal([1, 3, 5], state.Fits.Select(f => f.Model.K));
        var best = state.BestFit!;
        Assert.Equal(state.Fits.Min(f => f.Bic), best.Bic);
        Assert.NotEqual(1, best.Model.K); // one Gaussian cannot fit three blobs
        var direct = GaussianMixtureFitter.Fit(Shards, Synthetic.Options(5), 1);
        Assert.Equal(direct.Model.ToBytes(), state.Fits[2].Model.ToBytes());
    }

    [Fact]
    public void Invalid_plans_are_rejected_up_front()
    {
        Assert.Throws<ArgumentException>(() => CoordinatorState.Initial(Synthetic.TrainPlan([], 1)));
        Assert.Throws<ArgumentException>(() => CoordinatorState.Initial(Synthetic.TrainPlan(Shards, 0)));
        Assert.Throws<ArgumentException>(() => CoordinatorState.Initial(Synthetic.TrainPlan(Shards, 1) with { Candidates = [] }));
    }
}
