using Akka.Actor;
using Akka.TestKit;
using DistGmm.Cluster;
using DistGmm.Numerics;
using Xunit;
using static DistGmm.Cluster.Tests.ScriptedWorker;

namespace DistGmm.Cluster.Tests;

/// <summary>
/// Shards shared by chunks: an idle worker computes the back of a lagging worker's running shard, from its last chunk
/// down, the owner skips what the other has done, and the parts merge in chunk order to the whole shard's bits. The
/// bookkeeping alone, a real worker, and the coordinator against probes on virtual time (paces are measured in it).
/// </summary>
public sealed class ShardSharingTests() : Akka.TestKit.Xunit2.TestKit(AkkaTestConfigs.VirtualTime)
{
    /// <summary>A chunked pass's parts over <paramref name="shard"/>: its work with every chunk run.</summary>
    private static ChunkedWork<PassResult> RunAll(DataPass pass, DataMatrix shard, long offset)
    {
        var work = PartitionCompute.Plan(pass, shard, offset);
        for (var c = 0; c < work.Chunks; c++) work.RunChunk(c);
        return work;
    }

    [Fact]
    public void A_shard_shared_by_chunks_merges_to_the_bits_of_the_whole_shard()
    {
        var shard = Synthetic.Shards([40_000])[0];                       // 3 chunks of 16,384 rows
        var pass = new EStepPass(5, GaussianMixtureFitter.Fit([shard], Synthetic.Options(2)).Model);
        var work = RunAll(pass, shard, 0);
        Assert.Equal(3, work.Chunks);
        Assert.Equal(3, PartitionCompute.Chunks(shard.Rows));
        var whole = work.Result().ToBytes();
        for (var front = 1; front < 3; front++)
        {
            var splits = new ShardSplits();
            splits.Sent(5, "owner", 0);
            splits.Given(5, 0, "taker", "owner");
            Assert.Equal("owner", splits.OwnerOf(5, 0));
            Assert.True(splits.IsBusy(5, "taker") && splits.Involves(5, 0) && !splits.IsBusy(5, "owner"));
            PassResult? merged = null;
            for (var c = 2; c >= front; c--) // the taker's chunks, last first, then the owner's front
                Assert.Null(splits.Add(5, 0, c, 1, 3, work.Result(c, 1)));
            merged = splits.Add(5, 0, 0, front, 3, work.Result(0, front));
            Assert.Equal(whole, merged!.ToBytes());
            Assert.Equal("taker", splits.Completed(5, 0));
            Assert.False(splits.IsBusy(5, "taker"));
        }
        // The owner's front may come first, and a chunk the taker did beyond the front is not merged twice.
        var late = new ShardSplits();
        Assert.Null(late.Add(5, 0, 0, 2, 3, work.Result(0, 2)));
        Assert.Equal(whole, late.Add(5, 0, 2, 1, 3, work.Result(2, 1))!.ToBytes());
        var overlap = new ShardSplits();
        Assert.Null(overlap.Add(5, 0, 2, 1, 3, work.Result(2, 1)));
        Assert.Null(overlap.Add(5, 0, 1, 1, 3, work.Result(1, 1)));
        Assert.Equal(whole, overlap.Add(5, 0, 0, 2, 3, work.Result(0, 2))!.ToBytes()); // chunk 1 was the owner's too
    }

    [Fact]
    public void A_piece_starts_where_each_of_its_chunks_reaches_the_owner_before_the_owner_does()
    {
        const long Shard = 10 * SufficientStatistics.ChunkRows; // 10 chunks; both workers take 50 µs a row: 0.8192 s a chunk
        var splits = new ShardSplits();
        Assert.Null(splits.PieceStart(1, "owner", 1, Shard, Shard, "taker", 1, 0, 0.003)); // no pass yet
        splits.Sent(1, "owner", 0);
        splits.Sent(1, "taker", 0);
        splits.Done(1, "taker", 100_000, 5);
        Assert.Null(splits.PieceStart(1, "owner", 1, Shard, Shard, "taker", 1, 5, 0.003)); // the owner's pace is not known yet
        splits.Done(1, "owner", 100_000, 5);
        splits.Sent(2, "owner", 100);
        splits.Sent(2, "taker", 100);
        // Just started: the taker does chunks 9–6 (3.28 s and 6 ms of messages), the owner 0–5 (4.92 s).
        Assert.Equal(6, splits.PieceStart(2, "owner", 1, Shard, Shard, "taker", 1, 100, 0.003));
        // Halfway (5 chunks done, 4.096 s in): chunks 9 and 8; the owner's 5–7 take it 2.46 s.
        Assert.Equal(8, splits.PieceStart(2, "owner", 1, Shard, Shard, "taker", 1, 104.096, 0.003));
        // Three quarters in: chunk 9 alone would be the piece — not worth it (a stop comes at the end of a chunk).
        Assert.Null(splits.PieceStart(2, "owner", 1, Shard, Shard, "taker", 1, 106.5, 0.003));
        // Half a chunk from the end, or messages slower than a chunk: nothing to share.
        Assert.Null(splits.PieceStart(2, "owner", 1, Shard, Shard, "taker", 1, 107.7824, 0.003));
        Assert.Null(splits.PieceStart(2, "owner", 1, 3 * 16_384, 3 * 16_384, "taker", 1, 100, 1.0));
        // A taker ten times as fast (its pace this pass), 0.5 s in: chunks 9–2, 0.66 s; the owner's 0–1, 1.14 s.
        splits.Done(2, "taker", 100_000, 100.5);
        Assert.Equal(2, splits.PieceStart(2, "owner", 1, Shard, Shard, "taker", 1, 100.5, 0.003));
        // A one-chunk shard cannot be shared.
        Assert.Null(splits.PieceStart(2, "owner", 1, 10_000, 10_000, "taker", 1, 100, 0.003));
    }

    [Fact]
    public void A_worker_skips_the_chunks_another_has_computed_if_it_has_not_started_them_and_computes_a_piece_from_the_back()
    {
        var shards = Synthetic.Shards([40_000, 50_000]);
        var coordinator = CreateTestProbe();
        using var gate = new ManualResetEventSlim(false);
        var options = new WorkerOptions("w1", 1, new InMemoryShardSource(shards),
            BeforeCommand: (_, message) => { if (message is ComputePass { FirstChunk: 0 }) gate.Wait(TimeSpan.FromSeconds(30)); });
        var worker = Sys.ActorOf(WorkerActor.Props(new CoordinatorLink(coordinator.Ref), options));
        coordinator.ExpectMsg<WorkerReady>();
        coordinator.Send(worker, new LoadShards("j", Synthetic.Dataset, [0]));
        coordinator.ExpectMsg<ShardLoaded>();
        coordinator.Send(worker, new HoldReplicas("j", Synthetic.Dataset, [1]));
        coordinator.ExpectMsg<ReplicasHeld>();
        var skipChannel = coordinator.LastSender;

        var pass = new EStepPass(3, GaussianMixtureFitter.Fit(shards, Synthetic.Options(2)).Model);
        var own = RunAll(pass, shards[0], 0);
        coordinator.Send(worker, new ComputePass("j", 3, pass, [new ShardSlice(0, 0)]));
        coordinator.Send(skipChannel, new SkipChunks("j", 3, 0, 2));  // arrives before the shard starts: chunk 2 is skipped
        coordinator.Send(skipChannel, new SkipChunks("j", 3, 0, 0));  // never the front's chunk 0
        skipChannel.Tell(new Identify(1), coordinator.Ref);
        coordinator.ExpectMsg<ActorIdentity>();
        gate.Set();
        var front = coordinator.ExpectMsg<ShardStatsComputed>();
        Assert.Equal((0, 0, 2, 3), (front.Shard, front.FirstChunk, front.ChunkCount, front.ShardChunks));
        Assert.Equal(own.Result(0, 2).ToBytes(), front.ResultBytes);

        // A piece of the replica (4 chunks) from chunk 1: chunks 3, 2, 1, each alone, last first.
        var replica = RunAll(pass, shards[1], 40_000);
        coordinator.Send(worker, new ComputePass("j", 3, pass, [new ShardSlice(1, 40_000)], FirstChunk: 1));
        var parts = coordinator.ReceiveN(3).Cast<ShardStatsComputed>().ToList();
        Assert.Equal([3, 2, 1], parts.Select(p => p.FirstChunk));
        Assert.All(parts, p => Assert.Equal((1, 1, 4), (p.Shard, p.ChunkCount, p.ShardChunks)));
        Assert.Equal(parts.Select(p => replica.Result(p.FirstChunk, 1).ToBytes()), parts.Select(p => p.ResultBytes));

        // Told the shard is complete (SkipShards), a piece stops before its next chunk: here, before its first.
        coordinator.Send(skipChannel, new SkipShards("j", 3, [1]));
        skipChannel.Tell(new Identify(2), coordinator.Ref);
        coordinator.ExpectMsg<ActorIdentity>();
        coordinator.Send(worker, new ComputePass("j", 3, pass, [new ShardSlice(1, 40_000)], FirstChunk: 1));
        worker.Tell(new Identify(3), coordinator.Ref);
        Assert.Equal(3, coordinator.ExpectMsg<ActorIdentity>().MessageId);
    }

    [Fact]
    public void An_idle_worker_computes_the_back_of_the_laggards_running_shard_and_the_model_keeps_its_bits()
    {
        var scheduler = (TestScheduler)Sys.Scheduler;
        var shards = Synthetic.Shards([20_000, 20_000, 40_000]);
        var reference = GaussianMixtureFitter.Fit(shards, Synthetic.Options(2), 1).Model;
        var plan = new JobPlan("job-1", Synthetic.Dataset, [.. shards.Select(s => (long)s.Rows)], 2, [Synthetic.Options(2)]);
        var client = CreateTestProbe();
        var observer = new ProbeObserver(CreateTestProbe());
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(plan, BalancedByRowsPlacement.Instance, client.Ref, CreateTestProbe("host").Ref,
            observer, CoordinatorSettings.Default with { ShardReplicas = 1 }));
        var slow = Join(this, coordinator, "w0"); // the 40,000-row shard 2; holds 0 and 1
        var fast = Join(this, coordinator, "w1"); // shards 0 and 1; holds 2
        var skips = new Dictionary<string, TestProbe> { ["w0"] = CreateTestProbe("w0-skips"), ["w1"] = CreateTestProbe("w1-skips") };
        foreach (var (worker, id) in new[] { (slow, "w0"), (fast, "w1") })
        {
            var load = worker.ExpectMsg<LoadShards>();
            foreach (var s in load.Shards) worker.Reply(new ShardLoaded(load.JobId, id, s, shards[s].Rows, shards[s].Cols));
            var hold = worker.ExpectMsg<HoldReplicas>();
            coordinator.Tell(new ReplicasHeld("job-1", id, hold.Shards), skips[id].Ref);
        }
        ShardStatsComputed Whole(ComputePass p, ShardSlice s) =>
            new(p.JobId, p.PassNumber, s.Shard, PartitionCompute.Compute(p.Pass, shards[s.Shard], s.GlobalRowOffset, 1).ToBytes());

        var pieces = 0;
        while (true)
        {
            // Each pass: w1 is done after 0.2 s (virtual), w0 needs 2 s for its shard — unless w1 computes its back.
            var message = slow.ExpectMsg<object>(TimeSpan.FromSeconds(30));
            if (message is ReleaseJob) break;
            var own = Assert.IsType<ComputePass>(message);
            var theirs = fast.ExpectMsg<ComputePass>();
            Assert.Equal([2], own.Shards.Select(s => s.Shard));
            scheduler.Advance(TimeSpan.FromSeconds(0.2));
            foreach (var slice in theirs.Shards) fast.Reply(Whole(theirs, slice));
            fast.Send(coordinator, new CoordinatorActor.GetStatus()); // answered after any piece the results led to
            var next = fast.ExpectMsg<object>();
            int? given = null;
            if (next is ComputePass piece)
            {
                // w1 is ten times as fast: it takes chunks 2 and 1, the owner keeps chunk 0.
                Assert.Equal((own.PassNumber, 2, 1), (piece.PassNumber, Assert.Single(piece.Shards).Shard, piece.FirstChunk));
                given = piece.FirstChunk;
                fast.ExpectMsg<CoordinatorActor.Status>();
                var parts = RunAll(piece.Pass, shards[2], piece.Shards[0].GlobalRowOffset);
                for (var c = 2; c >= 1; c--)
                {
                    fast.Reply(new ShardStatsComputed(piece.JobId, piece.PassNumber, 2, parts.Result(c, 1).ToBytes(), 0, c, 1, 3));
                    Assert.Equal(new SkipChunks("job-1", own.PassNumber, 2, c), skips["w0"].ExpectMsg<SkipChunks>());
                }
                pieces++;
            }
            else Assert.IsType<CoordinatorActor.Status>(next);
            scheduler.Advance(TimeSpan.FromSeconds(given is null ? 1.8 : 1.0));
            if (given is { } first)
            {
                var work = RunAll(own.Pass, shards[2], own.Shards[0].GlobalRowOffset);
                slow.Reply(new ShardStatsComputed(own.JobId, own.PassNumber, 2, work.Result(0, first).ToBytes(), 0, 0, first, 3));
                Assert.Equal([2], skips["w1"].ExpectMsg<SkipShards>().Shards); // the shard is complete: w1 stops its piece
            }
            else slow.Reply(Whole(own, own.Shards[0]));
        }
        var done = client.ExpectMsg<JobCompleted>(TimeSpan.FromSeconds(30));
        Assert.Equal(reference.ToBytes(), done.State.BestFit!.Model.ToBytes());
        Assert.True(pieces >= 3, $"{pieces} pieces");
        Assert.Contains(observer.Events, e => e is PassTimed { ShardsSplit: 1 });
    }
}
